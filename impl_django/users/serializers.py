"""The wire shapes of the API, and the validation of what clients send."""

import re
import urllib.parse
from collections.abc import Mapping
from datetime import UTC
from typing import Any

from django.db import models
from rest_framework import serializers

from .models import User

# The spec's UserName and Email patterns (components.schemas), copied exactly. Always
# checked with fullmatch(): re.match() with "$" would accept a trailing newline.
NAME_PATTERN = re.compile(
    r"^[^\u0000]*[^\u0000\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F"
    r"\u205F\u3000][^\u0000]*$"
)
EMAIL_PATTERN = re.compile(
    r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"
)
# Query integers: an optional "-" and ASCII digits. DRF's IntegerField uses int(), which
# also takes "5.0", " 5", "+5" and the digits of other scripts (Arabic-Indic, ...).
INTEGER_PATTERN = re.compile(r"-?[0-9]+")
MAX_BIGINT = 2**63 - 1


class StrictCharField(serializers.CharField):
    """A string member, taken only from a JSON string and kept exactly as sent."""

    # DRF's CharField turns 123 into "123" and strips surrounding white space.
    default_error_messages = {"invalid": "Must be a string."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        """Refuse anything but a string."""
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def json_pointer(member: str) -> str:
    """Return the JSON pointer (RFC 6901) to a top-level member, in URI-fragment form."""
    token = member.replace("~", "~0").replace("/", "~1")
    return "#/" + urllib.parse.quote(token, safe="!$&'()*+,;=:@?")


def validate_email_address(value: str) -> str:
    """Check an email (already at most 254 characters) and return it lower-cased."""
    if not EMAIL_PATTERN.fullmatch(value):
        raise serializers.ValidationError("Must be a valid email address.")
    return value.lower()


class UserSerializer(serializers.ModelSerializer):
    """A user, as sent and returned; the same for create, replace and update."""

    # Every CharField of the model becomes a StrictCharField.
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
    }
    default_error_messages = {"invalid": "Must be a JSON object."}

    class Meta:
        model = User
        fields = ["id", "name", "email", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {
            # ModelSerializer adds a UniqueValidator for the unique constraint: a SELECT before the
            # INSERT that answers 400 and loses races. The database constraint decides
            # instead (IntegrityError -> 409 in the view).
            "email": {"validators": []},
            # DRF's default ISO 8601 drops the fraction when it is zero.
            "created_at": {"format": "%Y-%m-%dT%H:%M:%S.%fZ", "default_timezone": UTC},
        }

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        """Validate the members, refuse unknown ones, and key each error by its pointer."""
        if not isinstance(data, Mapping):
            return super().to_internal_value(data)  # raises "Must be a JSON object." at "#"
        # DRF ignores members it does not know, read-only ones (id, created_at) included;
        # the contract refuses them, so that nothing can be mass-assigned.
        writable = {name for name, field in self.fields.items() if not field.read_only}
        errors = {name: ["Unknown member."] for name in data if name not in writable}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            errors = error.detail | errors
        if errors:
            raise serializers.ValidationError(
                {json_pointer(name): messages for name, messages in errors.items()}
            )
        return value

    def validate_name(self, value: str) -> str:
        """Check the name (already 1 to 100 characters) against the spec's pattern."""
        if not NAME_PATTERN.fullmatch(value):
            raise serializers.ValidationError("Must hold a character that is not white space.")
        return value

    def validate_email(self, value: str) -> str:
        """Check the email and store it lower-cased, so that uniqueness ignores case."""
        return validate_email_address(value)


class QueryIntegerField(serializers.IntegerField):
    """An integer query parameter, written as an optional "-" and ASCII digits."""

    def to_internal_value(self, data: Any) -> int:
        """Refuse what is not written as an integer, then let DRF convert it."""
        if not INTEGER_PATTERN.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class UserQuerySerializer(serializers.Serializer):
    """The query parameters of list_users."""

    limit = QueryIntegerField(min_value=1, max_value=100, default=20)
    offset = QueryIntegerField(min_value=0, max_value=MAX_BIGINT, default=0)
    email = StrictCharField(max_length=254, required=False)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        """Validate the parameters, refusing one that is given more than once."""
        errors = {
            name: ["Must be given at most once."]
            for name in self.fields
            if len(data.getlist(name)) > 1
        }
        try:
            # A plain dict of the last values: for a QueryDict, DRF applies HTML form
            # rules, under which ?limit= means "use the default".
            value = super().to_internal_value(data.dict())
        except serializers.ValidationError as error:
            errors = error.detail | errors
        if errors:
            # One order for every 422: the parameters' own (limit, offset, email).
            raise serializers.ValidationError(
                {name: errors[name] for name in self.fields if name in errors}
            )
        return value

    def validate_email(self, value: str) -> str:
        """Check the email and lower-case it, as stored."""
        return validate_email_address(value)
