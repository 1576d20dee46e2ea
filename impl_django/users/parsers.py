"""Strict JSON request bodies, in place of DRF's JSONParser, and JSON-only responses."""

import json
import re
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.request import Request

from .errors import ContentTooLarge

MEDIA_TYPE = "application/json"
MAX_DEPTH = 64

# A JSON string, perhaps unterminated: the optional closing quote keeps the scan linear.
STRING = re.compile(r'"(?:[^"\\]|\\.)*"?')


def check_body(request: Request) -> None:
    """Refuse a body that is too large (413), not JSON by its Content-Type (415), or empty (400)."""
    # DRF only looks at the body when a handler reads request.data: it then picks a parser
    # by Content-Type before reading (415 before 413), and takes an empty body, or one
    # without Content-Type, for {} without calling any parser.
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
    """Parse JSON as RFC 8259 defines it."""

    # DRF's JSONParser decodes with the charset parameter of Content-Type, and leaves lone
    # surrogates ("\ud800") and deep nesting to json.loads() (NaN it refuses: STRICT_JSON).
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        """Return the body parsed as UTF-8 JSON, or raise ParseError (400)."""
        try:
            text = stream.read().decode("utf-8")  # strict: json.loads() then refuses a BOM
        except UnicodeDecodeError:
            raise ParseError("The body is not UTF-8.") from None
        if nesting_depth(text) > MAX_DEPTH:
            raise ParseError(f"The body nests deeper than {MAX_DEPTH} levels.")
        try:
            value = json.loads(text, parse_constant=refuse_constant)
            # json.loads() turns "\ud800" into a lone surrogate, which UTF-8 cannot encode.
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except (ValueError, UnicodeEncodeError, RecursionError):
            raise ParseError("The body is not JSON.") from None
        return value


def nesting_depth(text: str) -> int:
    """Return how deeply arrays and objects nest in a JSON text, without parsing it."""
    # Counted by hand: the RecursionError of json.loads() depends on the stack in use.
    depth = deepest = 0
    for character in STRING.sub("", text):
        if character in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif character in "]}":
            depth -= 1
    return deepest


def refuse_constant(name: str) -> None:
    """Refuse NaN, Infinity and -Infinity, which json.loads() accepts but are not JSON."""
    raise ValueError(f"{name} is not JSON")


class IgnoreAcceptNegotiation(DefaultContentNegotiation):
    """Answer with the first renderer (JSON) whatever the request's Accept header says."""

    # DRF's default answers 406 Not Acceptable when Accept rules JSON out.
    def select_renderer(
        self, request: Request, renderers: list[Any], format_suffix: str | None = None
    ) -> tuple[Any, str]:
        """Return the first renderer and its media type."""
        return renderers[0], renderers[0].media_type
