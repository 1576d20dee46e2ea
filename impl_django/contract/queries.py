"""Strict query parameters: each given once, integers as -?[0-9]+, errors by `parameter`.

DRF's IntegerField uses int(), which also takes "5.0", " 5", "+5" and the digits of
other scripts; a QueryDict answers the last of repeated values; and a Serializer given
a QueryDict applies HTML form rules, under which ?limit= means "use the default".
"""

import re
from typing import Any

from rest_framework import exceptions, serializers

from .rules import INTEGER_PATTERN

INTEGER = re.compile(INTEGER_PATTERN)


class InvalidQuery(exceptions.ValidationError):
    """Invalid query parameters: reported by `parameter`, where body members get `pointer`."""


class QueryIntegerField(serializers.IntegerField):
    """An integer query parameter, written as an optional "-" and ASCII digits."""

    def to_internal_value(self, data: Any) -> int:
        """Refuse what is not written as an integer, then let DRF convert it."""
        if not INTEGER.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class QuerySerializer(serializers.Serializer):
    """Query parameters, each its own field, validated strictly."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        """Validate the parameters, refusing one that is given more than once."""
        errors = {
            name: ["Must be given at most once."]
            for name in self.fields
            if len(data.getlist(name)) > 1
        }
        try:
            # A plain dict of the values, so that no HTML form rule applies.
            value = super().to_internal_value(data.dict())
        except serializers.ValidationError as error:
            errors = error.detail | errors
        if errors:
            # One order for every 422: the fields' own.
            raise serializers.ValidationError(
                {name: errors[name] for name in self.fields if name in errors}
            )
        return value

    def is_valid(self, *, raise_exception: bool = False) -> bool:
        """Validate the parameters; with raise_exception, raise InvalidQuery if one is bad."""
        valid = super().is_valid()
        if not valid and raise_exception:
            raise InvalidQuery(self.errors)
        return valid
