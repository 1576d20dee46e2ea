"""The wire shapes of the API, and the validation of what clients send."""

import re
from datetime import UTC

from rest_framework import serializers

from contract.members import StrictCharField, StrictMembersMixin
from contract.queries import QueryIntegerField, QuerySerializer
from contract.rules import (
    EMAIL_MAX_LENGTH,
    EMAIL_PATTERN,
    LIMIT_DEFAULT,
    LIMIT_MAX,
    MAX_ID,
    NAME_PATTERN,
)

from .models import User

# The spec's patterns, applied with fullmatch(): re.match() with "$" would accept a
# trailing newline.
NAME = re.compile(NAME_PATTERN)
EMAIL = re.compile(EMAIL_PATTERN)


def validate_email_address(value: str) -> str:
    """Check an email (already at most 254 characters) and return it lower-cased."""
    if not EMAIL.fullmatch(value):
        raise serializers.ValidationError("Must be a valid email address.")
    return value.lower()


class UserSerializer(StrictMembersMixin, serializers.ModelSerializer):
    """A user, as sent and returned; the same for create, replace and update."""

    class Meta:
        model = User
        fields = ["id", "name", "email", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {
            # ModelSerializer adds a UniqueValidator for the unique constraint: a SELECT before the
            # INSERT that answers 400 and loses races. The database constraint decides
            # instead (IntegrityError -> 409 in contract.problems).
            "email": {"validators": []},
            # DRF's default ISO 8601 drops the fraction when it is zero.
            "created_at": {"format": "%Y-%m-%dT%H:%M:%S.%fZ", "default_timezone": UTC},
        }

    def validate_name(self, value: str) -> str:
        """Check the name (already 1 to 100 characters) against the spec's pattern."""
        if not NAME.fullmatch(value):
            raise serializers.ValidationError("Must hold a character that is not white space.")
        return value

    def validate_email(self, value: str) -> str:
        """Check the email and store it lower-cased, so that uniqueness ignores case."""
        return validate_email_address(value)


class UserQuerySerializer(QuerySerializer):
    """The query parameters of list_users."""

    limit = QueryIntegerField(min_value=1, max_value=LIMIT_MAX, default=LIMIT_DEFAULT)
    offset = QueryIntegerField(min_value=0, max_value=MAX_ID, default=0)
    email = StrictCharField(max_length=EMAIL_MAX_LENGTH, required=False)

    def validate_email(self, value: str) -> str:
        """Check the email and lower-case it, as stored."""
        return validate_email_address(value)
