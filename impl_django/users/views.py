"""The API's handlers: the users resource, and the health check."""

from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.urls import reverse
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .errors import EmailTaken, InvalidQuery
from .models import User
from .parsers import check_body
from .serializers import UserQuerySerializer, UserSerializer


class AllowHeaderMixin:
    """Send Allow with 405 and OPTIONS only, and answer OPTIONS with 204 and no body."""

    @property
    def default_response_headers(self) -> dict[str, str]:
        """DRF's default headers, less Allow."""
        # DRF puts Allow (the view's methods) on every response of a view; the contract has
        # it on 405 (see errors.exception_handler) and on OPTIONS.
        headers = super().default_response_headers
        del headers["Allow"]
        return headers

    # DRF answers OPTIONS with 200 and a JSON description of the view (its metadata).
    def options(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Answer with the methods of the path in Allow."""
        allow = ", ".join(self.allowed_methods)
        return Response(status=status.HTTP_204_NO_CONTENT, headers={"Allow": allow})


class UserViewSet(AllowHeaderMixin, viewsets.ModelViewSet):
    """Create, read, replace, update and delete users.

    DRF's actions and the spec's operationIds: list = list_users, create = create_user,
    retrieve = get_user, update = replace_user, partial_update = update_user (it calls
    update with partial=True), destroy = delete_user.
    """

    queryset = User.objects.order_by("id")
    serializer_class = UserSerializer
    # The router matches ids with the user_id path converter (see project/urls.py) instead
    # of DRF's [^/.]+, so that a malformed or out-of-range id matches no route: 404.
    lookup_value_converter = "user_id"

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """Check the body of create, replace and update before anything reads it."""
        super().initial(request, *args, **kwargs)
        # self.action is None for a method the route does not map: that is a 405 first.
        if self.action in ("create", "update", "partial_update"):
            check_body(request)

    def get_queryset(self) -> QuerySet[User]:
        """The users; for replace, update and delete, the one to change, locked."""
        users = super().get_queryset()
        if self.action in ("update", "partial_update", "destroy"):
            # save() on a user read earlier runs UPDATE, and INSERTs the row again when the
            # UPDATE matched none: a DELETE in between would bring the user back. It also
            # writes every column, undoing another PATCH in between. Locking the row until
            # the transaction ends (update and destroy are atomic) leaves no "in between".
            # On SQLite, where FOR UPDATE does not exist, BEGIN IMMEDIATE locks instead
            # (settings: transaction_mode).
            users = users.select_for_update()
        return users

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """List users."""
        query = UserQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise InvalidQuery(query.errors)
        limit, offset = query.validated_data["limit"], query.validated_data["offset"]
        users = self.get_queryset()
        if "email" in query.validated_data:
            users = users.filter(email=query.validated_data["email"])
        # Django runs each query in its own transaction (autocommit): a user created between
        # the page and the count would be in one and not the other. One transaction reads
        # both; on PostgreSQL at REPEATABLE READ, since its default, READ COMMITTED, gives
        # each statement its own snapshot.
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            # DRF's pagination classes answer a bare list, or next/previous links; the
            # contract's page is {"items", "total", "limit", "offset"}.
            page = self.get_serializer(users[offset : offset + limit], many=True).data
            total = users.count()
        return Response({"items": page, "total": total, "limit": limit, "offset": offset})

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

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        """Insert the user; the unique constraint decides whether the email is taken."""
        save_user(serializer)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        """Update the user; the unique constraint decides whether the email is taken."""
        save_user(serializer)

    def get_success_headers(self, data: Any) -> dict[str, str]:
        """Point Location at the new user, as a path."""
        # DRF's default reads it from a "url" member, which a user does not have.
        return {"Location": reverse("user-detail", args=[data["id"]])}


def save_user(serializer: serializers.BaseSerializer) -> None:
    """Save a user, or raise EmailTaken (409) if the email's unique constraint refuses it."""
    try:
        serializer.save()
    except IntegrityError:
        raise EmailTaken from None


class HealthView(AllowHeaderMixin, APIView):
    """The health check."""

    def get(self, request: Request) -> Response:
        """Check health."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return Response({"status": "ok"})
