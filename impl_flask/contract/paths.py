"""The path id converter: only USER_ID_REGEX routes; any other id is 404, before 405.

Registered as "user_id" in init_app(), for routes such as /api/users/<user_id:user_id>;
refuse_altered_paths() is a before_request hook that init_app() installs.
"""

from flask import abort, request
from werkzeug.routing import BaseConverter

from .rules import USER_ID_REGEX


class UserIdConverter(BaseConverter):
    """Route only well-formed user ids: 1 to MAX_ID, ASCII digits, no leading zero."""

    # Werkzeug's int converter matches \d+, so it routes "01", and "\u0661" as 1. The range
    # is in the regex, not checked in to_python(): Werkzeug checks the method before it
    # converts, so TRACE on a too-large id would be 405 where the contract says 404.
    regex = USER_ID_REGEX

    def to_python(self, value: str) -> int:
        """Return the id as an int."""
        return int(value)

    def to_url(self, value: int) -> str:
        """Return the id as it appears in a path."""
        return str(value)


def refuse_altered_paths() -> None:
    """Answer 404 for a path that routes only once Werkzeug or the server has changed it."""
    # Werkzeug's MapAdapter.match() strips leading slashes, merge_slashes or not: //api/users
    # would route as /api/users. And the server decodes %2F into PATH_INFO: /api%2Fusers
    # would too; only its raw request target (RAW_URI: gunicorn, Werkzeug's server) shows it.
    raw_path = request.environ.get("RAW_URI", "").partition("?")[0]
    if request.environ.get("PATH_INFO", "").startswith("//") or "%2f" in raw_path.lower():
        abort(404)  # A hook, not a converter: it runs before the router's 405 is raised.
