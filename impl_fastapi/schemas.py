"""What goes over the wire: the bodies a client sends, and what the API answers."""

from datetime import UTC, datetime
from typing import Annotated

import pydantic
from pydantic import AfterValidator, BaseModel, field_serializer
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
    name: Annotated[UserName | None, NotNull] = None
    email: Annotated[Email | None, NotNull] = None


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
