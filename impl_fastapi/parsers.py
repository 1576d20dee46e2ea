"""Strict JSON request bodies, in place of Starlette's Request.body() and Request.json()."""

import json
import re
from contextlib import aclosing
from typing import Any

from fastapi import HTTPException, Request

MAX_BODY_SIZE = 65536
MAX_DEPTH = 64

# A JSON string, perhaps unterminated: the optional closing quote keeps the scan linear.
STRING = re.compile(r'"(?:[^"\\]|\\.)*"?')


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
            if declared.isdecimal() and int(declared) > MAX_BODY_SIZE:
                raise HTTPException(413)
            body = bytearray()
            async with aclosing(self.stream()) as stream:
                async for chunk in stream:
                    body += chunk
                    if len(body) > MAX_BODY_SIZE:
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
            self._json = parse_json(body)
        return self._json


def parse_json(body: bytes) -> Any:
    """Return the body parsed as RFC 8259 JSON, or raise 400."""
    try:
        text = body.decode("utf-8")  # strict: json.loads() then refuses a BOM
    except UnicodeDecodeError:
        raise HTTPException(400) from None
    if nesting_depth(text) > MAX_DEPTH:
        raise HTTPException(400)
    try:
        value = json.loads(text, parse_constant=refuse_constant)
        # json.loads() turns "\ud800" into a lone surrogate, which UTF-8 cannot encode.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeEncodeError, RecursionError):
        raise HTTPException(400) from None
    return value


def nesting_depth(text: str) -> int:
    """Return how deeply arrays and objects nest in a JSON text, without parsing it."""
    # Counted by hand: the RecursionError of json.loads() depends on the stack in use.
    depth = deepest = 0
    for character in STRING.sub("", text):
        if character in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif character in "]}":
            depth -= 1
    return deepest


def refuse_constant(name: str) -> None:
    """Refuse NaN, Infinity and -Infinity, which json.loads() accepts but are not JSON."""
    raise ValueError(f"{name} is not JSON")
