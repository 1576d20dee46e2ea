"""Middleware that gives every response what the contract requires of all of them."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

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
    # Django (like DRF, which answers HEAD with the GET handler) leaves this to the server:
    # runserver and gunicorn drop the body, but a WSGI application called directly sends it.

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if request.method == "HEAD":
            response.content = b""
        return response

    return middleware
