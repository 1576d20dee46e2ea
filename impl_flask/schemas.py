"""The wire shapes: validation of user bodies and list parameters, and the user's JSON."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from werkzeug.datastructures import MultiDict

from .models import MAX_ID, User

# The patterns of the spec's UserName and Email schemas, copied exactly. Always applied
# with fullmatch(): match() or search() would let "$" accept a trailing newline.
NAME_PATTERN = re.compile(
    r"^[^\u0000]*[^\u0000\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029"
    r"\u202F\u205F\u3000][^\u0000]*$"
)
EMAIL_PATTERN = re.compile(
    r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"
)
NAME_MAX_LENGTH = 100
EMAIL_MAX_LENGTH = 254

# int() alone would also accept "+5", " 5", "1_000" and other digits than ASCII (U+0665).
INTEGER_PATTERN = re.compile(r"-?[0-9]+")


def name_error(name: object) -> str | None:
    """Return what is wrong with a name, or None if it is valid."""
    if not isinstance(name, str):
        return "The name must be a string."
    # The length first: it bounds the time the pattern can take.
    if len(name) > NAME_MAX_LENGTH or not NAME_PATTERN.fullmatch(name):
        return "The name must be 1 to 100 characters, not all white space, without NUL."
    return None


def email_error(email: object) -> str | None:
    """Return what is wrong with an email, or None if it is valid."""
    if not isinstance(email, str):
        return "The email must be a string."
    if len(email) > EMAIL_MAX_LENGTH or not EMAIL_PATTERN.fullmatch(email):
        return "The email must be a valid email address of at most 254 characters."
    return None


USER_MEMBERS = {"name": name_error, "email": email_error}


def user_errors(body: object, *, partial: bool) -> list[dict[str, str]]:
    """Return one error per bad member of a user body (all required unless partial)."""
    if not isinstance(body, dict):
        return [{"detail": "The body must be a JSON object.", "pointer": "#"}]
    errors = []
    for member, member_error in USER_MEMBERS.items():
        if member in body:
            detail = member_error(body[member])
        else:
            detail = None if partial else "This member is required."
        if detail is not None:
            errors.append({"detail": detail, "pointer": pointer(member)})
    errors += [
        {"detail": "This member is not allowed.", "pointer": pointer(member)}
        for member in body
        if member not in USER_MEMBERS
    ]
    return errors


def user_members(body: dict[str, str]) -> dict[str, str]:
    """Return the members of a valid user body as they are stored: the email lower-cased."""
    return {member: value.lower() if member == "email" else value for member, value in body.items()}


def pointer(member: str) -> str:
    """Return the JSON Pointer to a top-level member, in URI-fragment form (RFC 6901)."""
    token = member.replace("~", "~0").replace("/", "~1")
    return "#/" + quote(token, safe="!$&'()*+,;=:@?")


@dataclass(frozen=True)
class ListQuery:
    """The query parameters of list_users, with their defaults."""

    limit: int = 20
    offset: int = 0
    email: str | None = None


def list_query(args: MultiDict[str, str]) -> tuple[ListQuery, list[dict[str, str]]]:
    """Return the parameters of list_users and one error per bad parameter."""
    values: dict[str, int | str] = {}
    errors = []
    for name, minimum, maximum in (("limit", 1, 100), ("offset", 0, MAX_ID)):
        given = args.getlist(name)
        number = integer(given[0]) if len(given) == 1 else None
        if number is not None and minimum <= number <= maximum:
            values[name] = number
        elif given:
            detail = f"{name} must be given once, as an integer from {minimum} to {maximum}."
            errors.append({"detail": detail, "parameter": name})
    given = args.getlist("email")
    if len(given) == 1 and email_error(given[0]) is None:
        values["email"] = given[0].lower()
    elif given:
        detail = "email must be given once, as a valid email address."
        errors.append({"detail": detail, "parameter": "email"})
    return ListQuery(**values), errors


def integer(text: str) -> int | None:
    """Return the integer that text spells as -?[0-9]+, or None."""
    if not INTEGER_PATTERN.fullmatch(text):
        return None
    try:
        return int(text)
    except ValueError:  # more digits than int() converts (4300): out of range anyway
        return None


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
