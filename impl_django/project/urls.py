"""The API's routes, and the Problem Details views for Django's own errors."""

from django.urls import path, register_converter
from rest_framework.routers import SimpleRouter

from contract.paths import UserIdConverter
from users.views import HealthView, TokenView, UserViewSet

# Contract layer: a user id routes only as 1 to 2^63-1 (UserViewSet.lookup_value_converter).
register_converter(UserIdConverter, "user_id")

# SimpleRouter, not DefaultRouter: no API root view at /, no .json format suffixes. No
# trailing slash: /api/users/ is 404, as APPEND_SLASH is off. Path converters instead of
# regular expressions, so that the viewset's lookup_value_converter applies.
router = SimpleRouter(trailing_slash=False, use_regex_path=False)
router.register("api/users", UserViewSet, basename="user")

urlpatterns = [
    *router.urls,
    path("api/tokens", TokenView.as_view(), name="token"),
    path("health", HealthView.as_view(), name="health"),
]

# Contract layer: Problem Details where Django answers with HTML (or, with DEBUG, debug pages).
handler400 = "contract.problems.bad_request"
handler404 = "contract.problems.page_not_found"
handler500 = "contract.problems.server_error"
