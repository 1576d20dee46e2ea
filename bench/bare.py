"""What the two bare baselines share: the SQL, the JSON of a user, the response headers,
and signing in.

No framework, no ORM: one driver (sqlite3 or psycopg 3), plain SQL, json.dumps. The bare
apps do the same database work as the implementations and answer the same JSON, so the
difference between an implementation and its baseline is what the framework costs.

Like with like, they do the same authentication work too (docs/sign-in.md), with the
libraries the implementations use underneath: a request that needs a token has its bearer
token decoded and checked with PyJWT (HS256), its user looked up (the revocation check
needs the user's hash as it is now: one more SELECT, as in every implementation) and that
hash's MD5 fingerprint compared with the token's; sign-up hashes the password and sign-in
verifies it with argon2-cffi, with the implementations' parameters. Without it, the share
of the baseline would credit the frameworks with the cost of authentication.
"""

import functools
import hashlib
import json
import os
import time
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

COLUMNS = "id, name, email, created_at"
GET_USER = f"SELECT {COLUMNS} FROM users WHERE id = %s"
COUNT_USERS = "SELECT count(*) FROM users"
LIST_USERS = f"SELECT {COLUMNS} FROM users ORDER BY id LIMIT %s OFFSET %s"
COUNT_BY_EMAIL = "SELECT count(*) FROM users WHERE email = %s"
LIST_BY_EMAIL = f"SELECT {COLUMNS} FROM users WHERE email = %s ORDER BY id LIMIT %s OFFSET %s"
CREATE_USER = (
    "INSERT INTO users (name, email, password_hash, created_at) VALUES (%s, %s, %s, %s) "
    f"RETURNING {COLUMNS}"
)
UPDATE_NAME = f"UPDATE users SET name = %s WHERE id = %s RETURNING {COLUMNS}"
UPDATE_EMAIL = f"UPDATE users SET email = %s WHERE id = %s RETURNING {COLUMNS}"
UPDATE_BOTH = f"UPDATE users SET name = %s, email = %s WHERE id = %s RETURNING {COLUMNS}"
# The user a token names, for the revocation check: its hash as it is now.
PASSWORD_HASH = "SELECT password_hash FROM users WHERE id = %s"
# Sign-in: the user an email names (stored in lower case), with its hash.
SIGN_IN = "SELECT id, password_hash FROM users WHERE email = %s"

HEADERS = [
    ("Content-Type", "application/json"),
    ("X-Content-Type-Options", "nosniff"),
    ("Cache-Control", "no-store"),
]
PROBLEM_HEADERS = [("Content-Type", "application/problem+json"), *HEADERS[1:]]
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    422: "Unprocessable Content",
}

# docs/sign-in.md: the implementations' production argon2id parameters, unless ARGON2_*
# say otherwise (as the contract suite's cheap ones do); the token's lifetime; the two
# WWW-Authenticate challenges of a 401.
ARGON2_DEFAULTS = {"ARGON2_MEMORY_COST": 19456, "ARGON2_TIME_COST": 2, "ARGON2_PARALLELISM": 1}
TOKEN_LIFETIME_S = 900
NO_TOKEN = "Bearer"
INVALID_TOKEN = 'Bearer error="invalid_token"'


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


@dataclass(frozen=True)
class SigningIn:
    """A worker's signing key and password hasher, read from its environment once."""

    key: str
    hasher: PasswordHasher
    dummy_hash: str  # verified against when an email has no user, as the implementations do


@functools.cache
def signing_in() -> SigningIn:
    """JWT_SECRET and ARGON2_*, as the implementations read them; a dummy hash made now."""
    parameters = {
        name: int(os.environ.get(name, default)) for name, default in ARGON2_DEFAULTS.items()
    }
    hasher = PasswordHasher(
        memory_cost=parameters["ARGON2_MEMORY_COST"],
        time_cost=parameters["ARGON2_TIME_COST"],
        parallelism=parameters["ARGON2_PARALLELISM"],
    )
    return SigningIn(os.environ["JWT_SECRET"], hasher, hasher.hash("no user has this password"))


class AuthenticationError(Exception):
    """A 401, with the WWW-Authenticate challenge it carries."""

    def __init__(self, challenge: str) -> None:
        super().__init__(challenge)
        self.challenge = challenge


def hash_password(password: str) -> str:
    """The argon2id PHC string of a password, NFKC-normalised first."""
    return signing_in().hasher.hash(unicodedata.normalize("NFKC", password))


def password_matches(stored: str | None, password: str) -> bool:
    """Whether password is the one stored; with no hash stored, verified against the dummy
    one all the same, so that an unknown email takes as long as a wrong password."""
    settings = signing_in()
    try:
        settings.hasher.verify(
            stored or settings.dummy_hash, unicodedata.normalize("NFKC", password)
        )
    except (VerificationError, InvalidHashError):
        return False
    return stored is not None


def fingerprint(stored: str) -> str:
    """The revocation claim: the MD5 of the stored hash, upper-case hex (simplejwt's)."""
    return hashlib.md5(stored.encode(), usedforsecurity=False).hexdigest().upper()


def access_token(user_id: int, stored: str) -> bytes:
    """create_token's answer: an access token with simplejwt's claims, signed with HS256."""
    now = int(time.time())
    claims = {
        "token_type": "access",
        "exp": now + TOKEN_LIFETIME_S,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "sub": str(user_id),
        "hash_password": fingerprint(stored),
    }
    token = jwt.encode(claims, signing_in().key, algorithm="HS256")
    return encode({"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME_S})


def token_claims(authorization: str | None) -> tuple[int, str]:
    """The user id a bearer token names and the fingerprint it carries, once its signature,
    expiry and claims are checked; AuthenticationError otherwise. The caller then looks the
    user up (check_revocation)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        raise AuthenticationError(NO_TOKEN)
    try:
        claims = jwt.decode(
            token,
            signing_in().key,
            algorithms=["HS256"],
            options={"require": ["token_type", "exp", "iat", "jti", "sub", "hash_password"]},
        )
    except jwt.InvalidTokenError:
        raise AuthenticationError(INVALID_TOKEN) from None
    if claims["token_type"] != "access" or not claims["sub"].isdigit():
        raise AuthenticationError(INVALID_TOKEN)
    return int(claims["sub"]), claims["hash_password"]


def check_revocation(row: tuple | None, claimed: str) -> None:
    """AuthenticationError unless the token's user exists and its hash is still the one the
    token was issued for (row: that user's PASSWORD_HASH, or None)."""
    if row is None or row[0] is None or fingerprint(row[0]) != claimed:
        raise AuthenticationError(INVALID_TOKEN)
