"""The contract's strict JSON reader: framework-neutral, identical in the three implementations.

Python's json.loads() accepts NaN and Infinity, turns "\\ud800" into a lone
surrogate, and nests as deep as the stack allows; RFC 8259 JSON, as the
contract reads it, has none of these. A test keeps the three copies identical.
"""

import json
import re

from .rules import MAX_DEPTH

# A JSON string, perhaps unterminated: the optional closing quote keeps the scan linear.
STRING = re.compile(r'"(?:[^"\\]|\\.)*"?')


class InvalidJSONError(ValueError):
    """The body is not RFC 8259 JSON in UTF-8, or nests deeper than MAX_DEPTH."""


def read_json(body: bytes) -> object:
    """Return the body parsed as RFC 8259 JSON, or raise InvalidJSONError."""
    try:
        text = body.decode("utf-8")  # strict: json.loads() then refuses a BOM
    except UnicodeDecodeError:
        raise InvalidJSONError("The body is not UTF-8.") from None
    if nesting_depth(text) > MAX_DEPTH:
        raise InvalidJSONError(f"The body nests deeper than {MAX_DEPTH} levels.")
    try:
        value = json.loads(text, parse_constant=refuse_constant)
        # json.loads() turns "\ud800" into a lone surrogate, which UTF-8 cannot encode.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeEncodeError, RecursionError):
        raise InvalidJSONError("The body is not JSON.") from None
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
