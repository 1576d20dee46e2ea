"""Who may do what: any signed-in user reads any user; a user changes and deletes only itself."""

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from .models import User


class IsSelfOrReadOnly(permissions.BasePermission):
    """Allow reads of any user, and writes only to the user who sent the token."""

    # DRF's tutorial's IsOwnerOrReadOnly, where the object is the user itself. Checked by
    # get_object(), so after the user is found: 404 before 403.
    def has_object_permission(self, request: Request, view: Any, obj: User) -> bool:
        """Return whether the request reads the user, or is the user's own."""
        return request.method in permissions.SAFE_METHODS or obj == request.user
