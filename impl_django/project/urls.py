"""The API's routes, and the Problem Details views for Django's own errors."""

from django.urls import path, register_converter
from rest_framework.routers import SimpleRouter

from users.views import HealthView, UserViewSet

MAX_USER_ID = 2**63 - 1


class UserIdConverter:
    """A user id in a path: ASCII digits without sign or leading zero, at most 2^63-1."""

    regex = "[1-9][0-9]*"

    def to_python(self, value: str) -> int:
        """Return the id; a ValueError makes the route not match (404)."""
        user_id = int(value)
        if user_id > MAX_USER_ID:
            raise ValueError("out of range for a 64-bit id")
        return user_id

    def to_url(self, value: int) -> str:
        """Write an id in a path."""
        return str(value)


register_converter(UserIdConverter, "user_id")

# SimpleRouter, not DefaultRouter: no API root view at /, no .json format suffixes. No
# trailing slash: /api/users/ is 404, as APPEND_SLASH is off. Path converters instead of
# regular expressions, so that the viewset's lookup_value_converter applies.
router = SimpleRouter(trailing_slash=False, use_regex_path=False)
router.register("api/users", UserViewSet, basename="user")

urlpatterns = [
    *router.urls,
    path("health", HealthView.as_view(), name="health"),
]

# Django answers these with HTML pages (or, with DEBUG on, its debug pages).
handler400 = "users.errors.bad_request"
handler404 = "users.errors.page_not_found"
handler500 = "users.errors.server_error"
