"""Strict body members: no type coercion, no unknown members, errors keyed by member name.

DRF's CharField turns 123 into "123" and strips surrounding white space, and its
serializers ignore members they do not know, read-only ones (id, created_at) included.
null is refused already: DRF's fields default to allow_null=False. The exception
handler (problems) turns each member name into its JSON pointer.
"""

from collections.abc import Mapping
from typing import Any

from django.db import models
from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A string member, taken only from a JSON string and kept exactly as sent."""

    default_error_messages = {"invalid": "Must be a string."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        """Refuse anything but a string."""
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictMembersMixin:
    """For a ModelSerializer: strings only from JSON strings, and unknown members refused."""

    # Every CharField of the model becomes a StrictCharField.
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
    }
    default_error_messages = {"invalid": "Must be a JSON object."}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        """Validate the members, and refuse unknown ones so that nothing is mass-assigned."""
        if not isinstance(data, Mapping):
            return super().to_internal_value(data)  # raises "Must be a JSON object."
        writable = {name for name, field in self.fields.items() if not field.read_only}
        errors = {name: ["Unknown member."] for name in data if name not in writable}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            # The contract's order: the fields' own, then unknown members as the body has them.
            errors = error.detail | errors
        if errors:
            raise serializers.ValidationError(errors)
        return value
