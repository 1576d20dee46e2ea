"""Problem Details (RFC 9457): the body of every error, and the handlers that answer with it.

Flask answers an error with Werkzeug's HTML page; each handler here answers the exception
it is registered for (in init_app()) with Problem Details instead.
"""

from flask import Response, current_app
from sqlalchemy.exc import DBAPIError, IntegrityError
from werkzeug.exceptions import BadRequest, HTTPException, MethodNotAllowed, Unauthorized

from .rules import DETAILS, REQUEST_REFUSED, RETRY_AFTER, TITLES, WWW_AUTHENTICATE

PROBLEM_MIMETYPE = "application/problem+json"


class ValidationError(Exception):
    """A body or query parameters that break the rules: a 422 with one error per problem."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(errors)
        self.errors = errors


class InvalidJSONBody(BadRequest):
    """A body that is not JSON (bodies.read_json_body()): the 400 that DETAILS[400] is about."""


class Unauthenticated(Unauthorized):
    """A 401 with its challenge: WWW-Authenticate, as RFC 6750 section 3 spells it."""

    # Werkzeug's Unauthorized takes a WWWAuthenticate, which writes the contract's
    # 'Bearer error="invalid_token"' without its quotes; the rules' spelling is sent instead.
    def __init__(self, challenge: str = WWW_AUTHENTICATE, detail: str = DETAILS[401]) -> None:
        super().__init__(detail)
        self.challenge = challenge


def problem(
    status: int, errors: list[dict[str, str]] | None = None, *, detail: str | None = None
) -> Response:
    """Return a Problem Details response for status, with the errors of a 422."""
    body: dict[str, object] = {
        "type": "about:blank",
        "title": TITLES[status],
        "status": status,
        "detail": detail or DETAILS[status],
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
    # DETAILS[400] is about a body that is not JSON; Werkzeug's own 400s, such as BadHost
    # for a Host header that is no host name, get a sentence of their own, as in Django.
    refused = status == 400 and not isinstance(error, InvalidJSONBody)
    response = problem(status, detail=REQUEST_REFUSED if refused else None)
    if isinstance(error, MethodNotAllowed):
        # Werkzeug's own response would carry the path's methods; a new one must copy them.
        response.allow.update(error.valid_methods or ())
    return response


def handle_unauthenticated(error: Unauthenticated) -> Response:
    """Answer a request without a usable token, or a failed sign-in, with 401 and its challenge."""
    response = problem(401, detail=error.description)
    response.headers["WWW-Authenticate"] = error.challenge
    return response


def handle_validation_error(error: ValidationError) -> Response:
    """Answer a body or query that breaks the rules with 422 and its list of errors."""
    return problem(422, error.errors)


def handle_integrity_error(error: IntegrityError) -> Response:
    """Answer a unique-email violation with 409; the database constraint decided."""
    return problem(409)


def handle_database_unavailable(error: DBAPIError) -> Response:
    """Answer with 503 and Retry-After while the database cannot be reached."""
    current_app.logger.warning("The database cannot be reached: %s", error.orig)
    response = problem(503)
    response.headers["Retry-After"] = RETRY_AFTER
    return response


def handle_unexpected_error(error: Exception) -> Response:
    """Answer any other exception with a bare 500; the traceback goes to the log only."""
    # Flask's own 500 handling would log it the same way, but re-raise it in debug and
    # testing mode; the contract wants Problem Details in every mode.
    current_app.log_exception((type(error), error, error.__traceback__))
    return problem(500)
