"""Problem Details (RFC 9457): the body of every error, and the handlers that answer with it."""

import logging

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, TimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from .headers import SECURITY_HEADERS, allowed_methods
from .rules import DETAILS, RETRY_AFTER, SIGN_IN_FAILED, TITLES, json_pointer

logger = logging.getLogger(__name__)

# One sentence per pydantic error type, completed from its context, which holds limits from
# the schema, never the input. Pydantic's own messages quote the pattern, for example.
ERROR_DETAILS = {
    "missing": "This member is required.",
    "extra_forbidden": "This member is not allowed.",
    "repeated": "This parameter may be given only once.",
    "string_type": "Must be a string.",
    "int_type": "Must be an integer.",
    "string_too_short": "Must not be empty.",
    "string_too_long": "Must be at most {max_length} characters long.",
    "string_pattern_mismatch": "Does not have the required form.",
    "greater_than_equal": "Must be at least {ge}.",
    "less_than_equal": "Must be at most {le}.",
    "password_length": "Must be {min_length} to {max_length} characters long, after NFKC.",
    "password_nul": "Must not contain NUL.",
}


class ProblemResponse(JSONResponse):
    """A Problem Details response."""

    media_type = "application/problem+json"


def problem(
    status: int,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    detail: str | None = None,
) -> ProblemResponse:
    """Return a Problem Details response for status, with the errors of a 422."""
    body: dict[str, object] = {
        "type": "about:blank",
        "title": TITLES[status],
        "status": status,
        "detail": detail or DETAILS[status],
    }
    if errors is not None:
        body["errors"] = errors
    return ProblemResponse(body, status_code=status, headers=headers)


async def http_exception_handler(request: Request, exc: StarletteHTTPException) -> Response:
    """Answer an HTTPException (401, 404, 405, 409, 413, ...) with Problem Details."""
    # Starlette raises no other codes for this API; an unforeseen one is the server's fault.
    if exc.status_code not in TITLES:
        return problem(500)
    # A 401 keeps its WWW-Authenticate, OAuth2PasswordBearer's own included (security.py).
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request.scope)
    # Each status has its sentence in DETAILS, whatever an exception says ("Not authenticated",
    # from OAuth2PasswordBearer); create_token's 401 has its own.
    detail = SIGN_IN_FAILED if exc.detail == SIGN_IN_FAILED else None
    return problem(exc.status_code, headers=headers, detail=detail)


async def validation_exception_handler(request: Request, exc: RequestValidationError) -> Response:
    """Answer 422 with one item per bad body member or query parameter."""
    errors = []
    for error in exc.errors():
        source, *path = error["loc"]
        if source == "body" and not path:
            errors.append({"detail": "The body must be a JSON object.", "pointer": "#"})
            continue
        template = ERROR_DETAILS.get(error["type"], "Is not valid.")
        detail = template.format(**error.get("ctx", {}))
        if source == "query":
            errors.append({"detail": detail, "parameter": path[0]})
        else:  # a body member: the models a client sends have top-level members only
            errors.append({"detail": detail, "pointer": json_pointer(path[0])})
    return problem(422, errors)


async def database_error_handler(request: Request, exc: DBAPIError | TimeoutError) -> Response:
    """Answer with 503 and Retry-After while the database cannot be reached."""
    logger.warning("The database cannot be reached: %s", getattr(exc, "orig", exc))
    return problem(503, headers={"Retry-After": RETRY_AFTER})


async def server_error_handler(request: Request, exc: Exception) -> Response:
    """Answer any other exception with a bare 500; the traceback goes to the server's log."""
    # Starlette sends this response from ServerErrorMiddleware, outside every user middleware,
    # so it carries the security headers itself.
    return problem(500, headers=SECURITY_HEADERS)
