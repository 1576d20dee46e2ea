"""The path id converter: a user id routes only as 1 to 2^63-1, written in ASCII digits.

DRF's router matches an id with [^/.]+ ("abc" routes), and Django's int converter with
[0-9]+ ("0" and "01" route): either would be refused only after the method (405 before
404), and an id beyond PostgreSQL's bigint would reach the database. Anything this converter refuses
matches no route: 404, whatever the method. refuse_encoded_slashes is a middleware that
settings.py lists.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .problems import problem
from .rules import USER_ID_REGEX


class UserIdConverter:
    """A user id in a path: ASCII digits without sign or leading zero, at most MAX_ID."""

    # The range is in the regex itself, so to_python() has nothing left to refuse.
    regex = USER_ID_REGEX

    def to_python(self, value: str) -> int:
        """Return the id."""
        return int(value)

    def to_url(self, value: int) -> str:
        """Write an id in a path."""
        return str(value)


def refuse_encoded_slashes(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Answer 404 for a path with %2F, which the server decodes into a "/" before routing."""
    # PATH_INFO, all that Django routes, has /api%2Fusers as /api/users; only the server's
    # raw request target (RAW_URI: gunicorn, Werkzeug's server) still shows it.

    def middleware(request: HttpRequest) -> HttpResponse:
        raw_path = request.META.get("RAW_URI", "").partition("?")[0]
        if "%2f" in raw_path.lower():
            return problem(404)
        return get_response(request)

    return middleware
