"""Strict query parameters: each given at most once, integers spelled -?[0-9]+ only.

Flask's request.args.get() takes the first of a repeated parameter, and int() accepts
"+5", " 5", "1_000" and digits of other scripts; read_query() refuses them all.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from .problems import ValidationError
from .rules import INTEGER_PATTERN


@dataclass(frozen=True)
class Parameter:
    """A query parameter: how to read its text, and what it must be (for the error detail)."""

    read: Callable[[str], object | None]  # None: the text is not a valid value
    description: str


def read_query(args: MultiDict[str, str], parameters: Mapping[str, Parameter]) -> dict[str, object]:
    """Return the values of the parameters given, or raise ValidationError naming each bad one."""
    values: dict[str, object] = {}
    errors = []
    for name, parameter in parameters.items():
        given = args.getlist(name)
        value = parameter.read(given[0]) if len(given) == 1 else None
        if value is not None:
            values[name] = value
        elif given:
            detail = f"{name} must be given once, as {parameter.description}."
            errors.append({"detail": detail, "parameter": name})
    if errors:
        raise ValidationError(errors)
    return values


def integer_parameter(minimum: int, maximum: int) -> Parameter:
    """Return a parameter that is an integer from minimum to maximum."""

    def read(text: str) -> int | None:
        number = integer(text)
        return number if number is not None and minimum <= number <= maximum else None

    return Parameter(read, f"an integer from {minimum} to {maximum}")


def integer(text: str) -> int | None:
    """Return the integer that text spells as -?[0-9]+, or None."""
    if not re.fullmatch(INTEGER_PATTERN, text):
        return None
    try:
        return int(text)
    except ValueError:  # more digits than int() converts (4300): out of range anyway
        return None
