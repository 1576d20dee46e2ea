"""The wire shapes: the user body's rules, the list's parameters, and the user's JSON."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from werkzeug.datastructures import MultiDict

from .contract.members import read_members
from .contract.queries import Parameter, integer_parameter, read_query
from .contract.rules import (
    EMAIL_MAX_LENGTH,
    EMAIL_PATTERN,
    LIMIT_DEFAULT,
    LIMIT_MAX,
    MAX_ID,
    NAME_MAX_LENGTH,
    NAME_PATTERN,
)
from .models import User


def name_error(name: str) -> str | None:
    """Return what is wrong with a name, or None if it is valid."""
    # The length first: it bounds the time the pattern can take.
    if len(name) > NAME_MAX_LENGTH or not re.fullmatch(NAME_PATTERN, name):
        return "The name must be 1 to 100 characters, not all white space, without NUL."
    return None


def email_error(email: str) -> str | None:
    """Return what is wrong with an email, or None if it is valid."""
    if len(email) > EMAIL_MAX_LENGTH or not re.fullmatch(EMAIL_PATTERN, email):
        return "The email must be a valid email address of at most 254 characters."
    return None


USER_MEMBERS = {"name": name_error, "email": email_error}


def load_user(body: object, *, partial: bool) -> dict[str, str]:
    """Return a user body's members as they are stored, or raise ValidationError."""
    # Every member is required, except in a partial body (PATCH).
    members = read_members(body, USER_MEMBERS, partial=partial)
    if "email" in members:
        members["email"] = members["email"].lower()
    return members


@dataclass(frozen=True)
class ListQuery:
    """The query parameters of list_users, with their defaults."""

    limit: int = LIMIT_DEFAULT
    offset: int = 0
    email: str | None = None


def email_filter(text: str) -> str | None:
    """Return the email to filter by as it is stored (lower-cased), or None if it is not valid."""
    return text.lower() if email_error(text) is None else None


LIST_PARAMETERS = {
    "limit": integer_parameter(1, LIMIT_MAX),
    "offset": integer_parameter(0, MAX_ID),
    "email": Parameter(email_filter, "a valid email address"),
}


def load_list_query(args: MultiDict[str, str]) -> ListQuery:
    """Return the parameters of list_users, or raise ValidationError naming each bad one."""
    return ListQuery(**read_query(args, LIST_PARAMETERS))


def dump_user(user: User) -> dict[str, object]:
    """Return a user's JSON object, members in the contract's order."""
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "created_at": timestamp(user.created_at),
    }


def timestamp(moment: datetime) -> str:
    """Return a moment as UTC with six fraction digits, such as 2026-11-21T15:01:51.123456Z."""
    if moment.tzinfo is None:  # SQLite gives back naive datetimes; they were stored in UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
