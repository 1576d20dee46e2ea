"""What goes over the wire: the bodies a client sends, and what the API answers."""

import unicodedata
from datetime import UTC, datetime
from typing import Annotated

import pydantic
from pydantic import AfterValidator, BaseModel, field_serializer
from pydantic_core import PydanticCustomError
from sqlmodel import Field, SQLModel

from .contract.members import REQUEST_CONFIG, NotNull
from .contract.queries import QueryInteger
from .contract.rules import (
    EMAIL_MAX_LENGTH,
    EMAIL_PATTERN,
    LIMIT_DEFAULT,
    LIMIT_MAX,
    MAX_ID,
    NAME_MAX_LENGTH,
    NAME_PATTERN,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    TOKEN_LIFETIME_SECONDS,
)

# Pydantic runs the spec's patterns with the Rust regex engine, where `$` matches only at the
# very end of the text (Python's `re` would also accept a trailing newline there), so each is
# a full match, exactly as the spec means it.
# Stored exactly as sent: no trimming, no normalisation.
UserName = Annotated[
    str, pydantic.Field(min_length=1, max_length=NAME_MAX_LENGTH, pattern=NAME_PATTERN)
]
# Stored, compared and returned lower-cased (the pattern allows ASCII only).
Email = Annotated[
    str,
    pydantic.Field(max_length=EMAIL_MAX_LENGTH, pattern=EMAIL_PATTERN),
    AfterValidator(str.lower),
]


def normalize_password(password: str) -> str:
    """Return a password in Unicode NFKC, the form in which it is counted, hashed and checked."""
    # The same password typed in composed or decomposed form (é as one code point or two) is
    # then the same password.
    return unicodedata.normalize("NFKC", password)


def check_password(password: str) -> str:
    """Normalise a password, then refuse it unless it has 15 to 128 characters and no NUL."""
    password = normalize_password(password)
    # Counted after the normalisation, which may change the length (U+FB01, "ﬁ", is "fi"):
    # a check of its own rather than pydantic.Field(min_length=...), which counts what was sent.
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        raise PydanticCustomError(
            "password_length",
            "Must be {min_length} to {max_length} characters long.",
            {"min_length": PASSWORD_MIN_LENGTH, "max_length": PASSWORD_MAX_LENGTH},
        )
    if "\0" in password:
        raise PydanticCustomError("password_nul", "Must not contain NUL.")
    return password


# Write-only: in the request models, never in UserPublic. The value is the normalised password.
Password = Annotated[str, AfterValidator(check_password)]


class UserBase(SQLModel):
    """The members a client writes."""

    name: UserName
    email: Email = Field(unique=True)  # SQLModel's Field: a column option


class UserCreate(UserBase):
    """The body of create_user: all three members."""

    model_config = REQUEST_CONFIG

    password: Password


class UserReplace(UserBase):
    """The body of replace_user: name and email; a password only to set a new one."""

    model_config = REQUEST_CONFIG

    # None marks a member that was not sent (model_dump(exclude_unset=True) leaves it out).
    password: Annotated[Password | None, NotNull] = None


class UserUpdate(SQLModel):
    """The body of update_user: any of the members."""

    model_config = REQUEST_CONFIG

    name: Annotated[UserName | None, NotNull] = None
    email: Annotated[Email | None, NotNull] = None
    password: Annotated[Password | None, NotNull] = None


class UserPublic(SQLModel):
    """A user as the API returns it."""

    # Declared here in the contract's member order; inheriting UserBase, as FastAPI's tutorial
    # does, would put `id` after `name` and `email`.
    id: int
    name: str
    email: str
    created_at: datetime

    @field_serializer("created_at")
    def serialize_created_at(self, created_at: datetime) -> str:
        """Write the time in UTC with six fraction digits and a `Z`."""
        return created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class UserPage(BaseModel):
    """One page of users."""

    items: list[UserPublic]
    total: int
    limit: int
    offset: int


class UserQuery(BaseModel):
    """The query parameters of list_users."""

    limit: Annotated[QueryInteger, pydantic.Field(ge=1, le=LIMIT_MAX)] = LIMIT_DEFAULT
    offset: Annotated[QueryInteger, pydantic.Field(ge=0, le=MAX_ID)] = 0
    email: Email | None = None


class TokenRequest(BaseModel):
    """The body of create_token: an email and a password, checked rather than validated."""

    # Any strings: the pair is checked against the stored user, not validated, so a password
    # that breaks create_user's rules is a wrong password (401), not a 422.
    model_config = REQUEST_CONFIG

    email: str
    password: str


class Token(BaseModel):
    """An access token, as create_token answers it (RFC 6749, section 5.1)."""

    access_token: str
    token_type: str = "Bearer"
    expires_in: int = TOKEN_LIFETIME_SECONDS
