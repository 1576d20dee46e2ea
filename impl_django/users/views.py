"""The API's handlers: the users resource, sign-in, and the health check.

Authentication is simplejwt's (settings.REST_FRAMEWORK), permissions are DRF's classes:
IsAuthenticated answers 401 before the body is read (initial), IsSelfOrReadOnly 403 once
the user is found (get_object), after the body is validated.
"""

from functools import cached_property
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.urls import reverse
from rest_framework import generics, permissions, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import AccessToken

from contract.bodies import check_body
from contract.headers import AllowHeaderMixin
from contract.rules import TOKEN_LIFETIME_SECONDS

from .models import User
from .pagination import UserPagination
from .permissions import IsSelfOrReadOnly
from .serializers import (
    TokenSerializer,
    UserCreateSerializer,
    UserQuerySerializer,
    UserSerializer,
)


class UserViewSet(AllowHeaderMixin, viewsets.ModelViewSet):
    """Create, read, replace, update and delete users.

    DRF's actions and the spec's operationIds: list = list_users, create = create_user,
    retrieve = get_user, update = replace_user, partial_update = update_user (it calls
    update with partial=True), destroy = delete_user.
    """

    queryset = User.objects.order_by("id")
    serializer_class = UserSerializer
    pagination_class = UserPagination
    permission_classes = [permissions.IsAuthenticated, IsSelfOrReadOnly]
    # The router matches ids with the user_id path converter (see project/urls.py) instead
    # of DRF's [^/.]+, so that a malformed or out-of-range id matches no route: 404.
    lookup_value_converter = "user_id"

    def get_permissions(self) -> list[permissions.BasePermission]:
        """Anyone may sign up (create) and ask OPTIONS; the rest needs a signed-in user."""
        if self.action in ("create", "metadata"):  # metadata: DRF's action for OPTIONS
            return []
        return super().get_permissions()

    def perform_authentication(self, request: Request) -> None:
        """Read the token when a permission asks who signed in, not before every action."""
        # DRF reads it in initial(), so that an expired token would make sign-up 401 too. Left
        # to request.user, as DRF's docstring suggests, it is read only by IsAuthenticated.

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        """UserCreateSerializer for create, where the password is required."""
        return UserCreateSerializer if self.action == "create" else UserSerializer

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """Check the body of create, replace and update before anything reads it."""
        # After the method (405), authentication and permissions (401) that super() checks:
        # a request without a token is 401 before its body is read.
        super().initial(request, *args, **kwargs)
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


class TokenView(AllowHeaderMixin, generics.GenericAPIView):
    """Sign in: an access token for an email and a password."""

    serializer_class = TokenSerializer
    # No token needed, and whatever Authorization says, none is read (an expired one must
    # not stop a sign-in).
    authentication_classes = []
    permission_classes = []

    def post(self, request: Request) -> Response:
        """Sign in."""
        check_body(request)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)  # 422, or 401 (TokenSerializer.validate)
        token = AccessToken.for_user(serializer.validated_data["user"])
        return Response(
            {
                "access_token": str(token),
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME_SECONDS,
            }
        )


class HealthView(AllowHeaderMixin, APIView):
    """The health check."""

    # No token needed (the default is a signed-in user), and none read.
    authentication_classes = []
    permission_classes = []

    def get(self, request: Request) -> Response:
        """Check health."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return Response({"status": "ok"})
