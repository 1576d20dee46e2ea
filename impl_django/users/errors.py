"""Problem Details (RFC 9457): the body of every error response."""

import logging
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions

PROBLEM_CONTENT_TYPE = "application/problem+json"

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

# Fixed sentences rather than DRF's and Django's messages, some of which quote the
# request (its method, its media type, its path): a detail never repeats the input.
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


class ContentTooLarge(exceptions.APIException):
    """The body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE (DRF has no exception for 413)."""

    status_code = 413
    default_detail = DETAILS[413]


class EmailTaken(exceptions.APIException):
    """Another user already has this email: the database's unique constraint said so."""

    status_code = 409
    default_detail = DETAILS[409]


class InvalidQuery(exceptions.ValidationError):
    """Invalid query parameters: reported by `parameter`, where body members get `pointer`."""


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
        return problem(503, headers={"Retry-After": "5"})
    if isinstance(exc, Http404):  # from get_object()
        return problem(404)
    if isinstance(exc, exceptions.ValidationError):
        # DRF answers invalid data with 400; the contract says 422, and names each member
        # by its JSON pointer (keys of UserSerializer's errors) or each query parameter.
        location = "parameter" if isinstance(exc, InvalidQuery) else "pointer"
        errors = [
            {"detail": str(messages[0]), location: name} for name, messages in exc.detail.items()
        ]
        return problem(422, errors)
    if isinstance(exc, exceptions.MethodNotAllowed):
        return problem(405, headers={"Allow": ", ".join(context["view"].allowed_methods)})
    if isinstance(exc, exceptions.APIException) and exc.status_code in TITLES:
        return problem(exc.status_code)  # 400, 409, 413, 415
    # Anything else is a bug: Django logs it and answers with handler500 (server_error).
    return None


def bad_request(request: HttpRequest, exception: Exception) -> JsonResponse:
    """Answer Django's own 400 (a SuspiciousOperation, such as a Host not in ALLOWED_HOSTS)."""
    return problem(400, detail="The request was refused.")


def page_not_found(request: HttpRequest, exception: Exception) -> JsonResponse:
    """Answer a path that matches no route with Problem Details, not HTML (handler404)."""
    return problem(404)


def server_error(request: HttpRequest) -> JsonResponse:
    """Answer an unexpected exception with Problem Details, not HTML (handler500)."""
    return problem(500)
