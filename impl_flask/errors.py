"""Problem Details (RFC 9457): the body of every error response."""

from flask import Response, current_app
from sqlalchemy.exc import DBAPIError, IntegrityError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

PROBLEM_MIMETYPE = "application/problem+json"

# The contract's titles: Werkzeug and http.HTTPStatus still say "Request Entity Too Large"
# and "Unprocessable Entity".
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

# Fixed sentences rather than Werkzeug's descriptions: a detail never repeats the input,
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


def problem(status: int, errors: list[dict[str, str]] | None = None) -> Response:
    """Return a Problem Details response for status, with the errors of a 422."""
    body: dict[str, object] = {
        "type": "about:blank",
        "title": TITLES[status],
        "status": status,
        "detail": DETAILS[status],
    }
    if errors is not None:
        body["errors"] = errors
    response = current_app.json.response(body)
    response.status_code = status
    response.mimetype = PROBLEM_MIMETYPE
    return response


def handle_http_exception(error: HTTPException) -> Response:
    """Answer an HTTP error (404, 405, 413, ...) with Problem Details, not Werkzeug's HTML."""
    # Werkzeug raises no other codes for this API; an unforeseen one is the server's fault.
    status = error.code if error.code in TITLES else 500
    response = problem(status)
    if isinstance(error, MethodNotAllowed):
        # Werkzeug's own response would carry the path's methods; a new one must copy them.
        response.allow.update(error.valid_methods or ())
    return response


def handle_integrity_error(error: IntegrityError) -> Response:
    """Answer a unique-email violation with 409; the database constraint decided."""
    return problem(409)


def handle_database_unavailable(error: DBAPIError) -> Response:
    """Answer with 503 and Retry-After while the database cannot be reached."""
    current_app.logger.warning("The database cannot be reached: %s", error.orig)
    response = problem(503)
    response.headers["Retry-After"] = "5"
    return response


def handle_unexpected_error(error: Exception) -> Response:
    """Answer any other exception with a bare 500; the traceback goes to the log only."""
    # Flask's own 500 handling would log it the same way, but re-raise it in debug and
    # testing mode; the contract wants Problem Details in every mode.
    current_app.log_exception((type(error), error, error.__traceback__))
    return problem(500)
