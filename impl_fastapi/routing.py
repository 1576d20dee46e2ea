"""The route class of the API: well-formed user ids only, and strictly read JSON bodies."""

import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope

from .parsers import StrictJSONRequest
from .schemas import MAX_ID


def is_user_id(text: str) -> bool:
    """Return whether a path segment is a user id: ASCII digits, no leading zero, <= MAX_ID."""
    # int() alone would also accept "+1", "01", " 1" and other digits than ASCII.
    return re.fullmatch(r"[1-9][0-9]*", text) is not None and int(text) <= MAX_ID


class StrictRoute(APIRoute):
    """An APIRoute that matches well-formed user ids only and reads bodies strictly."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Match as APIRoute does, except a path whose user id is malformed."""
        # Refused here rather than by validating the path parameter, so that such a path is
        # a 404 before anything else, 405 included: FastAPI would answer 422 after the body.
        match, child_scope = super().matches(scope)
        user_id = child_scope.get("path_params", {}).get("user_id")
        if user_id is not None and not is_user_id(user_id):
            return Match.NONE, {}
        return match, child_scope

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Read the body of a route that takes one before FastAPI validates it."""
        route_handler = super().get_route_handler()
        if self.body_field is None:
            return route_handler  # Other methods ignore any body: it is never read.

        async def strict_route_handler(request: Request) -> Response:
            request = StrictJSONRequest(request.scope, request.receive)
            await request.json()  # 413, 415 and 400, in this order, before FastAPI's 422.
            return await route_handler(request)

        return strict_route_handler
