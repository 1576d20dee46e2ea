"""What goes over the wire: the bodies a client sends, and what the API answers."""

import re
from datetime import UTC, datetime
from typing import Annotated

import pydantic
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    field_serializer,
    field_validator,
)
from pydantic_core import PydanticCustomError
from sqlmodel import Field, SQLModel

# The `pattern`s of the spec's UserName and Email, verbatim. Pydantic runs them with the Rust
# regex engine, where `$` matches only at the very end of the text (Python's `re` would also
# accept a trailing newline there), so each is a full match, exactly as the spec means it.
NAME_PATTERN = (
    r"^[^\u0000]*[^\u0000\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029"
    r"\u202F\u205F\u3000][^\u0000]*$"
)
EMAIL_PATTERN = (
    r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"
)
# The largest id, and offset: PostgreSQL's bigint, 2**63 - 1.
MAX_ID = 2**63 - 1

# Stored exactly as sent: no trimming, no normalisation.
UserName = Annotated[str, pydantic.Field(min_length=1, max_length=100, pattern=NAME_PATTERN)]
# Stored, compared and returned lower-cased (the pattern allows ASCII only).
Email = Annotated[
    str, pydantic.Field(max_length=254, pattern=EMAIL_PATTERN), AfterValidator(str.lower)
]

# What FastAPI would let through in a body, switched off for every model a client sends:
# pydantic's lax mode converts values between types (strict: a JSON string or nothing), and
# unknown members, the read-only `id` and `created_at` among them, would be silently dropped.
REQUEST_CONFIG = ConfigDict(strict=True, extra="forbid")


class UserBase(SQLModel):
    """The members a client writes."""

    name: UserName
    email: Email = Field(unique=True)  # SQLModel's Field: a column option


class UserCreate(UserBase):
    """The body of create_user, and of replace_user: both members."""

    model_config = REQUEST_CONFIG


class UserUpdate(SQLModel):
    """The body of update_user: any of the members."""

    model_config = REQUEST_CONFIG

    # None marks a member that was not sent (model_dump(exclude_unset=True) leaves it out).
    name: UserName | None = None
    email: Email | None = None

    @field_validator("name", "email")
    @classmethod
    def refuse_null(cls, value: str | None) -> str:
        """Refuse a member sent as `null`: like `123`, it is not a string."""
        if value is None:
            raise PydanticCustomError("string_type", "Input should be a valid string")
        return value


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


def read_integer(value: object) -> object:
    """Turn a query value written `-?[0-9]+` into an int; strict mode refuses anything else."""
    # Lax pydantic would take "+5", " 5", "1_0" and "5.0"; int() also non-ASCII digits ("\u0661").
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value):
        return int(value)
    return value


QueryInteger = Annotated[int, BeforeValidator(read_integer)]


class UserQuery(BaseModel):
    """The query parameters of list_users."""

    model_config = ConfigDict(strict=True)

    limit: Annotated[QueryInteger, pydantic.Field(ge=1, le=100)] = 20
    offset: Annotated[QueryInteger, pydantic.Field(ge=0, le=MAX_ID)] = 0
    email: Email | None = None
