"""Strict request bodies, read by a dependency: 413 (64 KiB, chunked too), 415, 400, then 422."""

from contextlib import aclosing
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from .rules import MAX_BODY_BYTES
from .strict_json import InvalidJSONError, read_json

Model = TypeVar("Model", bound=BaseModel)


async def receive_body(request: Request) -> bytes | None:
    """Return the body, or None as soon as it is known to be larger than 64 KiB."""
    # A dependency that refuses nothing, so that it can come before the current user: a slow
    # client then sends its body before a session is opened for its request (views.py).
    # Starlette reads a body of any size, and FastAPI's max_body_size answers a Content-Length
    # over it with a text/plain 413 that no exception handler sees. Here a Content-Length over
    # the limit is not read; without one (chunked), reading stops once the limit is passed.
    declared = request.headers.get("content-length", "")
    if declared.isdecimal() and int(declared) > MAX_BODY_BYTES:
        return None
    body = bytearray()
    async with aclosing(request.stream()) as stream:
        async for chunk in stream:
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return None
    return bytes(body)


class StrictBody(Generic[Model]):
    """A dependency that reads the body into a model: 413, 415, 400, then 422, in this order."""

    # FastAPI reads and parses a body parameter's body (`user: UserCreate`) before it solves
    # any dependency: a request without a token would be refused for its body (413, 415, 400)
    # before the current user's 401, and its own reading is lax (below). FastAPI solves a path
    # operation's dependencies in the order of its parameters: after CurrentUser, this one
    # refuses the body of a request that is signed in only. It is given receive_body's result
    # for the request, which FastAPI caches: the body is received once, whichever asked first.

    def __init__(self, model: type[Model]) -> None:
        self.model = model

    async def __call__(
        self, request: Request, body: Annotated[bytes | None, Depends(receive_body)]
    ) -> Model:
        """Return the body as the model, or raise 413, 415, 400 or 422, in this order."""
        if body is None:
            raise HTTPException(413)
        # Parameters such as charset are ignored; FastAPI would also parse application/*+json
        # types such as application/merge-patch+json, which are not JSON here.
        media_type = request.headers.get("content-type", "").partition(";")[0].strip()
        if media_type.lower() != "application/json":
            raise HTTPException(415)
        # Starlette's json.loads() takes NaN, lone surrogates and any depth.
        try:
            value = read_json(body)
        except InvalidJSONError:
            raise HTTPException(400) from None
        try:
            return self.model.model_validate(value)
        except ValidationError as error:
            # As FastAPI reports a body's errors: located in the body.
            errors = [{**item, "loc": ("body", *item["loc"])} for item in error.errors()]
            raise RequestValidationError(errors) from None
