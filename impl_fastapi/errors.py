"""Problem Details (RFC 9457): the body of every error response."""

import logging
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, TimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from .middleware import SECURITY_HEADERS
from .views import allowed_methods

logger = logging.getLogger(__name__)

# The contract's titles: http.HTTPStatus still says "Request Entity Too Large" and
# "Unprocessable Entity".
TITLES = {
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    503: "Service Unavailable",
}

# Fixed sentences rather than the exceptions' details: a detail never repeats the input,
# a traceback, a file path or SQL.
DETAILS = {
    400: "The body is not JSON: UTF-8, no NaN or Infinity, at most 64 levels deep.",
    404: "Nothing exists at this path.",
    405: "This path does not support this method; Allow lists the ones it does.",
    409: "Another user already has this email.",
    413: "The body is larger than 65536 bytes.",
    415: "The body must be sent as Content-Type: application/json.",
    422: "The request breaks the rules of the API; errors lists each problem.",
    500: "The server failed to answer this request.",
    503: "The database cannot be reached; try again after Retry-After seconds.",
}

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
}


class ProblemResponse(JSONResponse):
    """A Problem Details response."""

    media_type = "application/problem+json"


def problem(
    status: int,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> ProblemResponse:
    """Return a Problem Details response for status, with the errors of a 422."""
    body: dict[str, object] = {
        "type": "about:blank",
        "title": TITLES[status],
        "status": status,
        "detail": DETAILS[status],
    }
    if errors is not None:
        body["errors"] = errors
    return ProblemResponse(body, status_code=status, headers=headers)


async def http_exception_handler(request: Request, exc: StarletteHTTPException) -> Response:
    """Answer an HTTPException (404, 405, 409, 413, ...) with Problem Details."""
    # Starlette raises no other codes for this API; an unforeseen one is the server's fault.
    if exc.status_code not in TITLES:
        return problem(500)
    headers = None
    if exc.status_code == 405:
        # Starlette's Allow lists only the methods of the first route that matched the path.
        headers = {"Allow": allowed_methods(request)}
    return problem(exc.status_code, headers=headers)


async def validation_exception_handler(request: Request, exc: RequestValidationError) -> Response:
    """Answer 422 with one item per bad body member or query parameter."""
    errors = []
    for error in exc.errors():
        source, *path = error["loc"]
        if source == "body" and not path:
            detail = "The body must be a JSON object."
        else:
            template = ERROR_DETAILS.get(error["type"], "Is not valid.")
            detail = template.format(**error.get("ctx", {}))
        if source == "query":
            errors.append({"detail": detail, "parameter": path[0]})
        else:
            errors.append({"detail": detail, "pointer": pointer(path)})
    return problem(422, errors)


def pointer(path: list[str]) -> str:
    """Return the JSON Pointer to a body member, in URI-fragment form (RFC 6901)."""
    tokens = (token.replace("~", "~0").replace("/", "~1") for token in path)
    return "#" + "".join("/" + quote(token, safe="!$&'()*+,;=:@?") for token in tokens)


async def database_error_handler(request: Request, exc: DBAPIError | TimeoutError) -> Response:
    """Answer with 503 and Retry-After while the database cannot be reached."""
    logger.warning("The database cannot be reached: %s", getattr(exc, "orig", exc))
    return problem(503, headers={"Retry-After": "5"})


async def server_error_handler(request: Request, exc: Exception) -> Response:
    """Answer any other exception with a bare 500; the traceback goes to the server's log."""
    # Starlette sends this response from ServerErrorMiddleware, outside every user middleware,
    # so it carries the security headers itself.
    return problem(500, headers=SECURITY_HEADERS)
