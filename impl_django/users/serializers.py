"""The wire shapes of the API, and the validation of what clients send."""

import re
import unicodedata
from datetime import UTC
from typing import Any

from django.contrib.auth import authenticate
from rest_framework import exceptions, serializers

from contract.members import StrictCharField, StrictMembersMixin
from contract.queries import QueryIntegerField, QuerySerializer
from contract.rules import (
    EMAIL_MAX_LENGTH,
    EMAIL_PATTERN,
    LIMIT_DEFAULT,
    LIMIT_MAX,
    MAX_ID,
    NAME_PATTERN,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    SIGN_IN_FAILED,
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


class PasswordField(StrictCharField):
    """A new password: NFKC-normalised, then 15 to 128 code points, no NUL; never returned."""

    def __init__(self, **kwargs: Any) -> None:
        # DRF's CharField already refuses NUL ("Null characters are not allowed.").
        super().__init__(
            write_only=True,
            min_length=PASSWORD_MIN_LENGTH,
            max_length=PASSWORD_MAX_LENGTH,
            **kwargs,
        )

    def to_internal_value(self, data: Any) -> str:
        """Normalise the password, so that its length is counted as it will be hashed."""
        return unicodedata.normalize("NFKC", super().to_internal_value(data))


class UserSerializer(StrictMembersMixin, serializers.ModelSerializer):
    """A user, as sent and returned; the same for replace and update (password optional)."""

    # The model's password field is the hash: the member is the password itself, write-only.
    password = PasswordField(required=False)

    class Meta:
        model = User
        fields = ["id", "name", "email", "password", "created_at"]
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

    # ModelSerializer would store the password as sent, in the hash's column.
    def create(self, validated_data: dict[str, Any]) -> User:
        """Create the user with its password hashed."""
        password = validated_data.pop("password")
        user = User(**validated_data)
        user.set_password(password)
        user.save()
        return user

    def update(self, instance: User, validated_data: dict[str, Any]) -> User:
        """Change the user, hashing a new password if one was sent (a new hash revokes tokens)."""
        if "password" in validated_data:
            instance.set_password(validated_data.pop("password"))
        return super().update(instance, validated_data)


class UserCreateSerializer(UserSerializer):
    """A user, as sent to create: the password is required."""

    password = PasswordField()


class CredentialField(StrictCharField):
    """An email or password to sign in with: checked, not validated, so any string."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_blank=True, **kwargs)
        # DRF's CharField refuses NUL (422): here it only makes a wrong email or password (401).
        self.validators = []


class TokenSerializer(StrictMembersMixin, serializers.Serializer):
    """The credentials of create_token, and the user they sign in."""

    email = CredentialField()
    password = CredentialField()

    def validate(self, attrs: dict[str, str]) -> dict[str, Any]:
        """Return the user whom the email and password sign in, or raise a 401."""
        # Stored lower-cased. No stored email has NUL, which PostgreSQL cannot compare.
        email = attrs["email"].lower() if "\0" not in attrs["email"] else ""
        # Django's authenticate() asks ModelBackend, which finds the user by email and checks
        # the password (User.check_password: against a dummy hash if the user has none); for an
        # unknown email it hashes the password all the same, so every failure takes as long.
        user = authenticate(self.context["request"], email=email, password=attrs["password"])
        if user is None:
            raise exceptions.AuthenticationFailed(SIGN_IN_FAILED)
        return {"user": user}


class UserQuerySerializer(QuerySerializer):
    """The query parameters of list_users."""

    limit = QueryIntegerField(min_value=1, max_value=LIMIT_MAX, default=LIMIT_DEFAULT)
    offset = QueryIntegerField(min_value=0, max_value=MAX_ID, default=0)
    email = StrictCharField(max_length=EMAIL_MAX_LENGTH, required=False)

    def validate_email(self, value: str) -> str:
        """Check the email and lower-case it, as stored."""
        return validate_email_address(value)
