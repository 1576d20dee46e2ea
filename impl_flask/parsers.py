"""Strict JSON request bodies, in place of Flask's request.get_json()."""

import json
import re

from flask import abort, current_app, request

MAX_DEPTH = 64

# A JSON string, perhaps unterminated: the optional closing quote keeps the scan linear.
STRING = re.compile(r'"(?:[^"\\]|\\.)*"?')


def read_json_body() -> object:
    """Return the request body parsed as RFC 8259 JSON, or abort with 413, 415 or 400."""
    # Read first: the contract puts 413 before 415. Werkzeug raises 413 for a Content-Length
    # above MAX_CONTENT_LENGTH, but cuts a chunked body (no Content-Length) at the limit
    # without a word, so this request reads one byte more and looks.
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    request.max_content_length = limit + 1
    body = request.get_data()
    if len(body) > limit:
        abort(413)
    # Not request.is_json, which also accepts application/*+json types such as
    # application/merge-patch+json.
    if request.mimetype != "application/json":
        abort(415)
    try:
        text = body.decode("utf-8")  # strict: json.loads() then refuses a BOM
    except UnicodeDecodeError:
        abort(400)
    if nesting_depth(text) > MAX_DEPTH:
        abort(400)
    try:
        value = json.loads(text, parse_constant=refuse_constant)
        # json.loads() turns "\ud800" into a lone surrogate, which UTF-8 cannot encode.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeEncodeError, RecursionError):
        abort(400)
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
