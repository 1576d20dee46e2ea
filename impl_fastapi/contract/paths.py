"""The path id convertor: `{user_id:user_id}` matches only USER_ID_REGEX, 1 to MAX_ID.

And AlteredPathMiddleware, which install() adds: a path that routes only once it is
decoded or matched loosely names no resource.
"""

from starlette.convertors import Convertor
from starlette.types import ASGIApp, Receive, Scope, Send

from .problems import problem
from .rules import USER_ID_REGEX


class UserIdConvertor(Convertor[int]):
    """A user id in a path: ASCII digits, no sign, no leading zero, at most MAX_ID."""

    # FastAPI's `{user_id}` with `user_id: int` lets any segment reach the route and answers
    # a malformed id with a 422, after the 405 and the body; Starlette's `{user_id:int}`
    # routes "0", "01" and ids above MAX_ID. Refused by the route's own regex, any other
    # segment matches no route: 404 before anything else, whatever the method. (A final
    # newline, which Starlette's `$` would let through, AlteredPathMiddleware refuses.)
    regex = USER_ID_REGEX

    def convert(self, value: str) -> int:
        """Return the id the path names."""
        return int(value)

    def to_string(self, value: int) -> str:
        """Write an id into a path, for url_path_for()."""
        return str(value)


class AlteredPathMiddleware:
    """Answer 404 for a path with %2F, or with a newline, before any route sees it."""

    # Starlette routes the decoded path: /api%2Fusers%2F1 would be user 1. And its route
    # regexes end with `$`, which also matches before a final newline: /health%0A would be
    # /health. Only raw_path, the request target as sent, still shows the %2F.

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            b"%2f" in scope.get("raw_path", b"").lower() or "\n" in scope["path"]
        ):
            await problem(404)(scope, receive, send)
        else:
            await self.app(scope, receive, send)
