"""What every response carries, whatever Django and DRF would send by default.

Cache-Control: no-store; a JSON media type whatever Accept says; Allow only on 405
and OPTIONS, and 405 before 401; OPTIONS answered 204 without a body; HEAD answered
without a body. X-Content-Type-Options: nosniff comes from Django's own
SecurityMiddleware (settings.py).
"""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from rest_framework import status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response

GetResponse = Callable[[HttpRequest], HttpResponse]


def no_store(get_response: GetResponse) -> GetResponse:
    """Set Cache-Control: no-store on every response: users' data must not be cached."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.headers["Cache-Control"] = "no-store"
        return response

    return middleware


def head_without_body(get_response: GetResponse) -> GetResponse:
    """Drop the body of a HEAD response, keeping the headers GET would send."""
    # Django (like DRF, which answers HEAD with the GET handler) leaves this to the server.
    # gunicorn 27 drops the body too, but logs a warning for every such response ("WSGI app
    # sent body bytes on a no-body response"), and a WSGI application called directly, as
    # the in-process tests call it, sends it.

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if request.method == "HEAD":
            response.content = b""
        return response

    return middleware


class IgnoreAcceptNegotiation(DefaultContentNegotiation):
    """Answer with the first renderer (JSON) whatever the request's Accept header says."""

    # DRF's default answers 406 Not Acceptable when Accept rules JSON out.
    def select_renderer(
        self, request: Request, renderers: list[Any], format_suffix: str | None = None
    ) -> tuple[Any, str]:
        """Return the first renderer and its media type."""
        return renderers[0], renderers[0].media_type


class AllowHeaderMixin:
    """Send Allow with 405 and OPTIONS only, answer OPTIONS with 204 and no body, and 405
    before authentication."""

    # DRF authenticates and checks permissions (401) before it looks for the method's handler
    # (405); the contract answers 405 first.
    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """Refuse a method the path does not support, then let DRF authenticate."""
        if request.method not in self.allowed_methods:
            self.http_method_not_allowed(request, *args, **kwargs)
        super().initial(request, *args, **kwargs)

    @property
    def default_response_headers(self) -> dict[str, str]:
        """DRF's default headers, less Allow."""
        # DRF puts Allow (the view's methods) on every response of a view; the contract has
        # it on 405 (see problems.exception_handler) and on OPTIONS.
        headers = super().default_response_headers
        del headers["Allow"]
        return headers

    # DRF answers OPTIONS with 200 and a JSON description of the view (its metadata).
    def options(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Answer with the methods of the path in Allow."""
        allow = ", ".join(self.allowed_methods)
        return Response(status=status.HTTP_204_NO_CONTENT, headers={"Allow": allow})
