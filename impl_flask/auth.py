"""Sign-in: argon2id password hashes (argon2-cffi), access tokens (PyJWT), login_required.

Flask has no authentication of its own; its tutorial keeps it in auth.py, with a
login_required decorator that puts the signed-in user in g.user. The tokens are the ones
djangorestframework-simplejwt issues (docs/sign-in.md), written with PyJWT directly, so
that the three implementations accept each other's.
"""

import functools
import hashlib
import re
import time
import unicodedata
import uuid
from collections.abc import Callable

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app, g, request

from .contract.problems import Unauthenticated
from .contract.rules import TOKEN_LIFETIME_SECONDS, USER_ID_REGEX, WWW_AUTHENTICATE_INVALID_TOKEN
from .models import User, db

# RFC 7518 section 3.2: an HS256 key at least as long as its 256-bit output (PyJWT warns
# about a shorter one, InsecureKeyLengthWarning).
JWT_SECRET_MIN_BYTES = 32


def init_app(app: Flask) -> None:
    """Check the signing key, and set up argon2id with the app's ARGON2_* parameters."""
    secret = app.config["JWT_SECRET"]
    if secret is None or len(secret.encode()) < JWT_SECRET_MIN_BYTES:
        raise RuntimeError(
            f"JWT_SECRET must be set to a key of at least {JWT_SECRET_MIN_BYTES} bytes: it signs"
            " the access tokens. Make one with: python3 -c 'import secrets;"
            " print(secrets.token_urlsafe(32))'"
        )
    # argon2-cffi's defaults are other than the ones the three implementations share.
    hasher = PasswordHasher(
        memory_cost=app.config["ARGON2_MEMORY_COST"],
        time_cost=app.config["ARGON2_TIME_COST"],
        parallelism=app.config["ARGON2_PARALLELISM"],
    )
    app.extensions["password_hasher"] = hasher
    # Signing in with an unknown email, or as a user without a password, verifies against
    # this hash all the same: the answer then takes as long as for a wrong password, and
    # does not tell which emails have an account.
    app.extensions["dummy_password_hash"] = hasher.hash("no user has this password")


def hash_password(password: str) -> str:
    """Return the argon2id PHC string of a password, NFKC-normalised, with the app's parameters."""
    hasher: PasswordHasher = current_app.extensions["password_hasher"]
    return hasher.hash(unicodedata.normalize("NFKC", password))


def check_password(user: User | None, password: str) -> bool:
    """Return whether a password is the user's; False for no user or a user without one."""
    password = unicodedata.normalize("NFKC", password)
    if user is None or user.password_hash is None:
        verify_password(current_app.extensions["dummy_password_hash"], password)
        return False
    return verify_password(user.password_hash, password)


def verify_password(password_hash: str, password: str) -> bool:
    """Return whether a password matches an argon2 hash, whatever parameters it was made with."""
    hasher: PasswordHasher = current_app.extensions["password_hasher"]
    # The parameters are in the hash: one that the other two implementations wrote, or one
    # made with other ARGON2_* settings, verifies too. It is never rehashed with the current
    # ones (check_needs_rehash): a new hash would revoke the user's tokens (docs/sign-in.md).
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_fingerprint(password_hash: str) -> str:
    """Return the token's hash_password claim for a stored hash: its MD5, upper-case hex."""
    # simplejwt's revocation check (CHECK_REVOKE_TOKEN): a new password, so a new salted
    # hash, revokes the tokens issued before it. MD5 fingerprints the hash, it hashes no password.
    return hashlib.md5(password_hash.encode(), usedforsecurity=False).hexdigest().upper()


def create_access_token(user: User) -> str:
    """Return an access token for a user who signed in, with simplejwt's AccessToken claims."""
    issued_at = int(time.time())
    claims = {
        "token_type": "access",
        "exp": issued_at + TOKEN_LIFETIME_SECONDS,
        "iat": issued_at,
        "jti": uuid.uuid4().hex,
        "sub": str(user.id),
        "hash_password": password_fingerprint(user.password_hash),
    }
    return jwt.encode(claims, current_app.config["JWT_SECRET"], algorithm="HS256")


def user_from_token(token: str) -> User | None:
    """Return the user an access token names, or None if it is not a valid access token."""
    try:
        # PyJWT checks the signature, exp and iat (no leeway), and that sub and jti are strings.
        claims = jwt.decode(
            token,
            current_app.config["JWT_SECRET"],
            algorithms=["HS256"],
            options={"require": ["exp", "iat", "jti", "sub", "hash_password"]},
        )
    except jwt.InvalidTokenError:
        return None
    # Only an access token (simplejwt also signs refresh tokens). A sub that is no user id
    # (1 to 2**63 - 1) names no user, and would not even fit the bigint it is compared with.
    if claims.get("token_type") != "access" or not re.fullmatch(USER_ID_REGEX, claims["sub"]):
        return None
    user = db.session.get(User, int(claims["sub"]))
    # Revoked: the user was deleted (ids are never reused), or has a new password since.
    if user is None or user.password_hash is None:
        return None
    if claims["hash_password"] != password_fingerprint(user.password_hash):
        return None
    return user


def login_required(view: Callable) -> Callable:
    """Answer 401 unless the request carries a valid bearer token; the view then has g.user."""

    @functools.wraps(view)
    def wrapped_view(**kwargs):
        # Werkzeug parses the header; its scheme is lower-cased ("Bearer", "bearer", "BEARER").
        credentials = request.authorization
        if credentials is None or credentials.type != "bearer":
            raise Unauthenticated()
        g.user = user_from_token(credentials.token or "")
        if g.user is None:
            raise Unauthenticated(WWW_AUTHENTICATE_INVALID_TOKEN)
        if db.engine.dialect.name == "sqlite":
            # That read began a transaction (models.use_sqlite_transactions), and a write in
            # it fails at once, without waiting, if another connection has written since
            # (SQLITE_BUSY_SNAPSHOT): the view begins one of its own. (On PostgreSQL each
            # statement commits by itself.)
            db.session.commit()
        return view(**kwargs)

    return wrapped_view
