"""What every response carries: the security headers, Allow on 405 and OPTIONS; OPTIONS as 204.

HEAD needs nothing here: FastAPI runs a HEAD route like GET, body and all, and uvicorn
(h11 and httptools) and Starlette's TestClient drop that body themselves.
"""

from fastapi.routing import iter_route_contexts
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


def allowed_methods(scope: Scope) -> str:
    """Return Allow for the request's path: its routes' methods and OPTIONS; "" if none."""
    # Starlette's own Allow on a 405 lists only the methods of the first route that matched
    # the path. app.routes holds an included router, not its routes (FastAPI 0.137 and later):
    # iter_route_contexts() is FastAPI's way to see them all.
    methods = set()
    for route in iter_route_contexts(scope["app"].routes):
        match, _ = route.matches(scope)
        if match != Match.NONE:
            methods |= route.methods or set()
    return ", ".join(sorted(methods | {"OPTIONS"})) if methods else ""


class SecurityHeadersMiddleware:
    """Add SECURITY_HEADERS to every response, the router's own 404 and 405 included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(SECURITY_HEADERS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class OptionsMiddleware:
    """Answer OPTIONS on every path that has routes: 204 with Allow."""

    # FastAPI answers OPTIONS only where a route declares it; declaring one on each path would
    # repeat the paths. A path without routes goes on to the router: 404.

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "OPTIONS":
            await self.app(scope, receive, send)
            return

        if allow := allowed_methods(scope):
            await Response(status_code=204, headers={"Allow": allow})(scope, receive, send)
        else:
            await self.app(scope, receive, send)
