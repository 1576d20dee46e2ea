"""The wire shapes: the user body's rules, sign-in's body, the list's parameters, a user's JSON."""

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from werkzeug.datastructures import MultiDict

from .auth import hash_password
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
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
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


def password_error(password: str) -> str | None:
    """Return what is wrong with a password, or None if it is valid."""
    # Counted as it is hashed: NFKC-normalised (U+FB01, "ﬁ", is two characters, "fi").
    password = unicodedata.normalize("NFKC", password)
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH or "\0" in password:
        return "The password must be 15 to 128 characters, without NUL."
    return None


USER_MEMBERS = {"name": name_error, "email": email_error, "password": password_error}
# The members each operation requires: create_user all of them; replace_user all but the
# password, which it sets only when it is given; update_user none.
NEW_USER = ("name", "email", "password")
WHOLE_USER = ("name", "email")


def load_user(body: object, *, required: Collection[str]) -> dict[str, str]:
    """Return a user body's members as they are stored, or raise ValidationError."""
    members = read_members(body, USER_MEMBERS, required=required)
    if "email" in members:
        members["email"] = members["email"].lower()
    if "password" in members:
        # Only its hash is stored; a new one revokes every token issued before it.
        members["password_hash"] = hash_password(members.pop("password"))
    return members


def any_string(text: str) -> None:
    """Accept any string: create_token checks its credentials, it does not validate them."""
    # An email or a password that breaks the rules is a wrong one: 401, not 422.


CREDENTIALS = {"email": any_string, "password": any_string}


def load_credentials(body: object) -> dict[str, str]:
    """Return create_token's email and password, or raise ValidationError."""
    return read_members(body, CREDENTIALS, required=CREDENTIALS)


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
