"""The API's handlers: the users resource, and the health check."""

from functools import cached_property
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.urls import reverse
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contract.bodies import check_body
from contract.headers import AllowHeaderMixin

from .models import User
from .pagination import UserPagination
from .serializers import UserQuerySerializer, UserSerializer


class UserViewSet(AllowHeaderMixin, viewsets.ModelViewSet):
    """Create, read, replace, update and delete users.

    DRF's actions and the spec's operationIds: list = list_users, create = create_user,
    retrieve = get_user, update = replace_user, partial_update = update_user (it calls
    update with partial=True), destroy = delete_user.
    """

    queryset = User.objects.order_by("id")
    serializer_class = UserSerializer
    pagination_class = UserPagination
    # The router matches ids with the user_id path converter (see project/urls.py) instead
    # of DRF's [^/.]+, so that a malformed or out-of-range id matches no route: 404.
    lookup_value_converter = "user_id"

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """Check the body of create, replace and update before anything reads it."""
        super().initial(request, *args, **kwargs)
        # self.action is None for a method the route does not map: that is a 405 first.
        if self.action in ("create", "update", "partial_update"):
            check_body(request)

    @cached_property
    def query(self) -> dict[str, Any]:
        """The query parameters of list, validated: limit, offset and perhaps email."""
        # Read by get_queryset (email) and UserPagination (limit, offset), validated together
        # so that one 422 names every bad parameter, before the database is touched.
        query = UserQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data

    def get_queryset(self) -> QuerySet[User]:
        """The users; for list, filtered by email; for replace, update and delete, locked."""
        users = super().get_queryset()
        if self.action == "list" and "email" in self.query:
            users = users.filter(email=self.query["email"])
        if self.action in ("update", "partial_update", "destroy"):
            # save() on a user read earlier runs UPDATE, and INSERTs the row again when the
            # UPDATE matched none: a DELETE in between would bring the user back. It also
            # writes every column, undoing another PATCH in between. Locking the row until
            # the transaction ends (update and destroy are atomic) leaves no "in between".
            # On SQLite, where FOR UPDATE does not exist, BEGIN IMMEDIATE locks instead
            # (settings: transaction_mode).
            users = users.select_for_update()
        return users

    def paginate_queryset(self, queryset: QuerySet[User]) -> list[User] | None:
        """Read the page of list and its total in one snapshot of the table."""
        # Django runs each query in its own transaction (autocommit): a user created between
        # the page and the count would be in one and not the other. One transaction reads
        # both; on PostgreSQL at REPEATABLE READ, since its default, READ COMMITTED, gives
        # each statement its own snapshot.
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            return super().paginate_queryset(queryset)

    @transaction.atomic
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Replace a user."""
        # ModelViewSet looks the user up first; the contract checks the body first (422),
        # then that the user exists (404).
        serializer = self.get_serializer(data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        serializer.instance = self.get_object()
        self.perform_update(serializer)
        return Response(serializer.data)

    @transaction.atomic
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Delete a user."""
        return super().destroy(request, *args, **kwargs)

    def get_success_headers(self, data: Any) -> dict[str, str]:
        """Point Location at the new user, as a path."""
        # DRF's default reads it from a "url" member, which a user does not have.
        return {"Location": reverse("user-detail", args=[data["id"]])}


class HealthView(AllowHeaderMixin, APIView):
    """The health check."""

    def get(self, request: Request) -> Response:
        """Check health."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return Response({"status": "ok"})
