"""Strict body members: a JSON object, strings only (no coercion, no null), no unknown member.

Flask hands a view whatever JSON value the body holds and checks none of it; this reads
a body against the members an operation declares. Every member the API accepts is a
JSON string.
"""

from collections.abc import Callable, Collection, Mapping

from .problems import ValidationError
from .rules import json_pointer

# What is wrong with a member's string value, or None if it is valid.
MemberCheck = Callable[[str], str | None]


def read_members(
    body: object, checks: Mapping[str, MemberCheck], *, required: Collection[str]
) -> dict[str, str]:
    """Return the members of a body, or raise ValidationError (those in required must be there)."""
    if not isinstance(body, dict):
        raise ValidationError([{"detail": "The body must be a JSON object.", "pointer": "#"}])
    # One error per bad member, in the order of checks, then the unknown ones in body order.
    errors = []
    for member, check in checks.items():
        if member not in body:
            detail = "This member is required." if member in required else None
        elif not isinstance(body[member], str):  # 123 and null are refused, never coerced
            detail = f"The {member} must be a string."
        else:
            detail = check(body[member])
        if detail is not None:
            errors.append({"detail": detail, "pointer": json_pointer(member)})
    # id and created_at too: the server sets them, a client never does (mass assignment).
    errors += [
        {"detail": "This member is not allowed.", "pointer": json_pointer(member)}
        for member in body
        if member not in checks
    ]
    if errors:
        raise ValidationError(errors)
    return body
