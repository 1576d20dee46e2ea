"""What the two bare baselines share: the SQL, the JSON of a user, the response headers.

No framework, no ORM: one driver (sqlite3 or psycopg 3), plain SQL, json.dumps. The bare
apps do the same database work as the implementations and answer the same JSON, so the
difference between an implementation and its baseline is what the framework costs.
"""

import json
import os
from datetime import UTC, datetime
from urllib.parse import parse_qsl

COLUMNS = "id, name, email, created_at"
GET_USER = f"SELECT {COLUMNS} FROM users WHERE id = %s"
COUNT_USERS = "SELECT count(*) FROM users"
LIST_USERS = f"SELECT {COLUMNS} FROM users ORDER BY id LIMIT %s OFFSET %s"
COUNT_BY_EMAIL = "SELECT count(*) FROM users WHERE email = %s"
LIST_BY_EMAIL = f"SELECT {COLUMNS} FROM users WHERE email = %s ORDER BY id LIMIT %s OFFSET %s"
CREATE_USER = f"INSERT INTO users (name, email, created_at) VALUES (%s, %s, %s) RETURNING {COLUMNS}"
UPDATE_NAME = f"UPDATE users SET name = %s WHERE id = %s RETURNING {COLUMNS}"
UPDATE_EMAIL = f"UPDATE users SET email = %s WHERE id = %s RETURNING {COLUMNS}"
UPDATE_BOTH = f"UPDATE users SET name = %s, email = %s WHERE id = %s RETURNING {COLUMNS}"

HEADERS = [
    ("Content-Type", "application/json"),
    ("X-Content-Type-Options", "nosniff"),
    ("Cache-Control", "no-store"),
]
PROBLEM_HEADERS = [("Content-Type", "application/problem+json"), *HEADERS[1:]]
TITLES = {400: "Bad Request", 404: "Not Found", 409: "Conflict", 422: "Unprocessable Content"}


def database_url() -> str:
    """DATABASE_URL, as the implementations read it."""
    return os.environ["DATABASE_URL"]


def sqlite_path(url: str) -> str | None:
    """The file of a sqlite:////abs/path URL, or None for PostgreSQL."""
    return url.removeprefix("sqlite:///") if url.startswith("sqlite:") else None


def for_sqlite(query: str) -> str:
    """sqlite3's parameter style is ?, psycopg's %s."""
    return query.replace("%s", "?")


def encode(value: object) -> bytes:
    """Compact UTF-8 JSON, members in their order: what the implementations write."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def timestamp(value: datetime | str) -> str:
    """created_at as the contract writes it: UTC, six fraction digits, a Z."""
    # SQLite gives back the stored text (naive UTC, written by SQLAlchemy or Django);
    # psycopg an aware datetime.
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def user(row: tuple) -> dict[str, object]:
    """A row as the user's JSON object."""
    return {"id": row[0], "name": row[1], "email": row[2], "created_at": timestamp(row[3])}


def now(sqlite: bool) -> datetime | str:
    """created_at for a new row, stored as SQLAlchemy stores it (text on SQLite)."""
    moment = datetime.now(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else moment


def problem(status: int) -> bytes:
    """A Problem Details body."""
    return encode({"type": "about:blank", "title": TITLES[status], "status": status})


def page_parameters(query_string: str) -> tuple[int, int, str | None]:
    """limit, offset and email from a query string; defaults 20, 0, none (not validated)."""
    values = dict(parse_qsl(query_string))
    email = values.get("email")
    return int(values.get("limit", 20)), int(values.get("offset", 0)), email and email.lower()


def user_id(path: str) -> int | None:
    """The id in /api/users/{id}, or None for another path."""
    prefix, _, rest = path.rpartition("/")
    return int(rest) if prefix == "/api/users" and rest.isascii() and rest.isdigit() else None


def update_statement(body: dict[str, str], identifier: int) -> tuple[str, tuple]:
    """The UPDATE for a PATCH body of name, email or both."""
    if "name" in body and "email" in body:
        return UPDATE_BOTH, (body["name"], body["email"].lower(), identifier)
    if "email" in body:
        return UPDATE_EMAIL, (body["email"].lower(), identifier)
    return UPDATE_NAME, (body["name"], identifier)


def rows(fetched: list, all_rows: bool) -> object:
    """All rows, or the first (None if none)."""
    # Every row is fetched even for one: sqlite3 keeps the write transaction of an
    # INSERT ... RETURNING open until its statement has run to the end.
    return fetched if all_rows else (fetched[0] if fetched else None)
