"""Problem Details (RFC 9457): the body of every error, and the handlers that answer with it.

DRF answers its exceptions with {"detail": ...}, and invalid data with 400 and
{"name": [...]}; Django answers its own 400, 404 and 500 with HTML pages. Here every
one of them, and the database's errors, becomes a problem with the contract's title.
"""

import logging
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework_simplejwt import exceptions as token_exceptions

from .queries import InvalidQuery
from .rules import (
    DETAILS,
    REQUEST_REFUSED,
    RETRY_AFTER,
    SIGN_IN_FAILED,
    TITLES,
    WWW_AUTHENTICATE,
    WWW_AUTHENTICATE_INVALID_TOKEN,
    json_pointer,
)

PROBLEM_CONTENT_TYPE = "application/problem+json"

logger = logging.getLogger(__name__)


def problem(
    status: int,
    errors: list[dict[str, str]] | None = None,
    *,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    """Return a Problem Details response for status, with the errors of a 422."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES[status],
        "status": status,
        "detail": detail or DETAILS[status],
    }
    if errors is not None:
        body["errors"] = errors
    return JsonResponse(
        body,
        status=status,
        headers=headers,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"separators": (",", ":"), "ensure_ascii": False},
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> JsonResponse | None:
    """Answer the exceptions of a DRF view with Problem Details (DRF's EXCEPTION_HANDLER)."""
    if isinstance(exc, OperationalError | InterfaceError):
        logger.warning("The database cannot be reached: %s", exc)
        return problem(503, headers={"Retry-After": RETRY_AFTER})
    if isinstance(exc, IntegrityError):
        # The email's unique constraint decides, not a check before the write. Raised in
        # update's atomic block, it has rolled that transaction back before DRF calls this.
        return problem(409)
    if isinstance(exc, Http404):  # from get_object()
        return problem(404)
    if isinstance(exc, InvalidQuery):
        errors = [
            {"detail": str(messages[0]), "parameter": name} for name, messages in exc.detail.items()
        ]
        return problem(422, errors)
    if isinstance(exc, exceptions.ValidationError):
        # DRF answers invalid data with 400; the contract says 422, and names each member by
        # its JSON pointer. A body that is not an object gets one error, which DRF keys by
        # NON_FIELD_ERRORS_KEY: it is about the whole body, "#".
        is_object = isinstance(context["request"].data, Mapping)
        errors = [
            {"detail": str(messages[0]), "pointer": json_pointer(name) if is_object else "#"}
            for name, messages in exc.detail.items()
        ]
        return problem(422, errors)
    # DRF sends its first authenticator's WWW-Authenticate (simplejwt's: Bearer realm="api"),
    # the same whatever failed, and turns the 401 into a 403 in a view without authenticators
    # (create_token). The contract says what failed, as RFC 6750 section 3 does.
    if isinstance(exc, token_exceptions.AuthenticationFailed):
        # simplejwt's: the bearer token is malformed, badly signed, expired or revoked.
        return problem(401, headers={"WWW-Authenticate": WWW_AUTHENTICATE_INVALID_TOKEN})
    if isinstance(exc, exceptions.AuthenticationFailed):
        # create_token's: a wrong email or password (TokenSerializer).
        return problem(401, detail=SIGN_IN_FAILED, headers={"WWW-Authenticate": WWW_AUTHENTICATE})
    if isinstance(exc, exceptions.NotAuthenticated):
        # No bearer token: no Authorization header, or another scheme.
        return problem(401, headers={"WWW-Authenticate": WWW_AUTHENTICATE})
    if isinstance(exc, exceptions.MethodNotAllowed):
        return problem(405, headers={"Allow": ", ".join(context["view"].allowed_methods)})
    if isinstance(exc, exceptions.APIException) and exc.status_code in TITLES:
        return problem(exc.status_code)  # 400, 403, 413, 415
    # Anything else is a bug: Django logs it and answers with handler500 (server_error).
    return None


def bad_request(request: HttpRequest, exception: Exception) -> JsonResponse:
    """Answer Django's own 400 (a SuspiciousOperation, such as a Host not in ALLOWED_HOSTS)."""
    return problem(400, detail=REQUEST_REFUSED)


def page_not_found(request: HttpRequest, exception: Exception) -> JsonResponse:
    """Answer a path that matches no route with Problem Details, not HTML (handler404)."""
    return problem(404)


def server_error(request: HttpRequest) -> JsonResponse:
    """Answer an unexpected exception with Problem Details, not HTML (handler500)."""
    return problem(500)
