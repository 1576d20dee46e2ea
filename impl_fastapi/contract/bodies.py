"""Strict request bodies: 413 (64 KiB, chunked too), 415, then 400, before FastAPI validates."""

from collections.abc import Callable, Coroutine
from contextlib import aclosing
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute

from .rules import MAX_BODY_BYTES
from .strict_json import InvalidJSONError, read_json


class StrictJSONRequest(Request):
    """A request whose body must be at most 64 KiB of RFC 8259 JSON, sent as application/json."""

    async def body(self) -> bytes:
        """Return the body, or raise 413 as soon as it is known to be too large."""
        if not hasattr(self, "_body"):
            # Starlette reads a body of any size, and FastAPI's max_body_size answers a
            # Content-Length over it with a text/plain 413 that no exception handler sees.
            # Here a Content-Length over the limit is refused unread; without one (chunked),
            # reading stops once the limit is passed.
            declared = self.headers.get("content-length", "")
            if declared.isdecimal() and int(declared) > MAX_BODY_BYTES:
                raise HTTPException(413)
            body = bytearray()
            async with aclosing(self.stream()) as stream:
                async for chunk in stream:
                    body += chunk
                    if len(body) > MAX_BODY_BYTES:
                        raise HTTPException(413)
            self._body = bytes(body)
        return self._body

    async def json(self) -> Any:
        """Return the parsed body, or raise 413, 415 or 400, in this order."""
        if not hasattr(self, "_json"):
            body = await self.body()
            # Parameters such as charset are ignored; FastAPI would also parse application/*+json
            # types such as application/merge-patch+json, which are not JSON here.
            media_type = self.headers.get("content-type", "").partition(";")[0].strip()
            if media_type.lower() != "application/json":
                raise HTTPException(415)
            # Starlette's json.loads() takes NaN, lone surrogates and any depth.
            try:
                self._json = read_json(body)
            except InvalidJSONError:
                raise HTTPException(400) from None
        return self._json


class StrictJSONRoute(APIRoute):
    """An APIRoute that reads the body of a route taking one with StrictJSONRequest."""

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
