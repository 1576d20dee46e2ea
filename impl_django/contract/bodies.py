"""Strict request bodies: 413 above 64 KiB (chunked too), then 415, then 400, before validation.

DRF reads a body only when a handler reads request.data: it then picks a parser by
Content-Type first (415 before 413), and takes an empty body, or one without
Content-Type, for {} without calling any parser. Django takes a body sent chunked,
without Content-Length, for an empty one.
"""

import io
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from gunicorn.http.errors import ParseException
from rest_framework.exceptions import APIException, ParseError, UnsupportedMediaType
from rest_framework.parsers import JSONParser
from rest_framework.request import Request

from .rules import DETAILS
from .strict_json import InvalidJSONError, read_json

MEDIA_TYPE = "application/json"

WSGIApplication = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ContentTooLarge(APIException):
    """The body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE (DRF has no exception for 413)."""

    status_code = 413
    default_detail = DETAILS[413]


def check_body(request: Request) -> None:
    """Refuse a body that is too large (413), not JSON by its Content-Type (415), or empty (400)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        raise ContentTooLarge
    # Parameters such as charset are ignored; application/*+json types are not JSON here.
    media_type = request.content_type.partition(";")[0].strip().lower()
    if media_type != MEDIA_TYPE:
        raise UnsupportedMediaType(media_type)
    if length == 0:
        raise ParseError("The body is empty.")


class StrictJSONParser(JSONParser):
    """Parse JSON as RFC 8259 defines it, with the contract's strict reader."""

    # DRF's JSONParser decodes with the charset parameter of Content-Type, and leaves lone
    # surrogates ("\ud800") and deep nesting to json.loads() (NaN it refuses: STRICT_JSON).
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        """Return the body parsed as UTF-8 JSON, or raise ParseError (400)."""
        try:
            return read_json(stream.read())
        except InvalidJSONError as error:
            raise ParseError(str(error)) from None


def read_chunked_bodies(application: WSGIApplication) -> WSGIApplication:
    """Let Django see a body sent without Content-Length (Transfer-Encoding: chunked)."""
    # Django reads exactly CONTENT_LENGTH bytes of a request. Read one byte past the limit
    # at most and hand Django that: a body over the limit is then refused with 413, like
    # one that announced its length.
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    def read_then_call(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if (
            not environ.get("CONTENT_LENGTH")
            and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        ):
            try:
                body = environ["wsgi.input"].read(limit + 1)
            except (OSError, ParseException):
                # Broken chunked framing ("zz" or "-5" as a size, a missing CRLF): the
                # server's exception would reach it, and gunicorn answers with an HTML 400.
                # An unreadable body is no body, which check_body() refuses: 415 or 400.
                body = b""
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return application(environ, start_response)

    return read_then_call
