"""Strict body members: no type coercion, no unknown members, no null."""

from pydantic import AfterValidator, ConfigDict
from pydantic_core import PydanticCustomError

# What FastAPI would let through in a body, switched off for every model a client sends:
# pydantic's lax mode converts values between types (strict: a JSON string or nothing), and
# unknown members, the read-only `id` and `created_at` among them, would be silently dropped.
REQUEST_CONFIG = ConfigDict(strict=True, extra="forbid")


def refuse_null(value: str | None) -> str:
    """Refuse a member sent as `null`: like `123`, it is not a string."""
    if value is None:
        raise PydanticCustomError("string_type", "Input should be a valid string")
    return value


# For a member that may be left out, `str | None = None`, where None marks "not sent":
# pydantic would also accept it sent as null.
NotNull = AfterValidator(refuse_null)
