"""Sign-in: password hashes with pwdlib, access tokens with PyJWT, and the current user.

As FastAPI's tutorial "OAuth2 with Password (and hashing), Bearer with JWT tokens" does it,
adapted to the design the three implementations share (docs/sign-in.md): the stored hash,
the token's claims, and when a token is accepted.
"""

import hashlib
import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated
from uuid import uuid4

import jwt
from fastapi import Depends, HTTPException
from fastapi.security import OAuth2PasswordBearer
from jwt.exceptions import InvalidTokenError
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlmodel import Session, select

from .contract.rules import (
    EMAIL_MAX_LENGTH,
    EMAIL_PATTERN,
    TOKEN_LIFETIME_SECONDS,
    USER_ID_REGEX,
    WWW_AUTHENTICATE_INVALID_TOKEN,
)
from .database import SessionDep
from .models import User
from .schemas import normalize_password
from .settings import get_settings

ALGORITHM = "HS256"
# The claims of djangorestframework-simplejwt's AccessToken, with `sub` as its user id claim
# and its revocation check on: each one is required in a token this API accepts.
CLAIMS = ["token_type", "exp", "iat", "jti", "sub", "hash_password"]


@lru_cache
def get_password_hasher() -> PasswordHash:
    """Make the password hasher from the settings on first use: argon2id only."""
    settings = get_settings()
    # PasswordHash.recommended(), the tutorial's, is argon2id with argon2-cffi's defaults
    # (m=65536, t=3, p=4); these are the settings', the same in the three implementations.
    argon2 = Argon2Hasher(
        memory_cost=settings.argon2_memory_cost,
        time_cost=settings.argon2_time_cost,
        parallelism=settings.argon2_parallelism,
    )
    return PasswordHash((argon2,))


@lru_cache
def get_dummy_hash() -> str:
    """Hash a password that is nobody's, once, with the current parameters."""
    return get_password_hasher().hash("not anyone's password")


def hash_password(password: str) -> str:
    """Hash a normalised password: `$argon2id$v=19$m=...,t=...,p=...$<salt>$<hash>`."""
    return get_password_hasher().hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    """Check a password, normalised with NFKC, against a hash of any argon2 parameters."""
    # verify(), not verify_and_update(), which rehashes with the current parameters: the new
    # hash would revoke the user's tokens, in the other implementations too.
    return get_password_hasher().verify(normalize_password(password), password_hash)


def authenticate_user(session: Session, email: str, password: str) -> User | None:
    """Return the user with this email and password, or None, in about the same time."""
    user = None
    # An email that breaks the rules is nobody's, and PostgreSQL could not compare one with
    # a NUL in it: such an email is not looked up.
    if len(email) <= EMAIL_MAX_LENGTH and re.fullmatch(EMAIL_PATTERN, email):
        user = session.exec(select(User).where(User.email == email.lower())).one_or_none()
    if user is None or user.password_hash is None:
        # Verified all the same, so that the time taken does not tell an unknown email, or a
        # user without a password, from a wrong password.
        verify_password(password, get_dummy_hash())
        return None
    if not verify_password(password, user.password_hash):
        return None
    return user


def fingerprint(password_hash: str) -> str:
    """Return the hash_password claim for a stored hash: its MD5, in upper-case hex."""
    # simplejwt's revocation claim (CHECK_REVOKE_TOKEN): a fingerprint of a salted hash, which
    # changes with every new password, not a password hash.
    return hashlib.md5(password_hash.encode(), usedforsecurity=False).hexdigest().upper()


def create_access_token(user: User) -> str:
    """Issue an access token for user, valid for TOKEN_LIFETIME_SECONDS."""
    issued_at = datetime.now(UTC)  # PyJWT writes both times in whole seconds
    claims = {
        "token_type": "access",
        "exp": issued_at + timedelta(seconds=TOKEN_LIFETIME_SECONDS),
        "iat": issued_at,
        "jti": uuid4().hex,
        "sub": str(user.id),
        "hash_password": fingerprint(user.password_hash),
    }
    return jwt.encode(claims, get_settings().jwt_secret.get_secret_value(), algorithm=ALGORITHM)


# The tutorial's scheme. It takes `Authorization: Bearer <token>`, and without one (no
# Authorization, or another scheme) refuses the request itself: 401 with WWW-Authenticate:
# Bearer. `Bearer` alone it passes on as an empty token, malformed (error="invalid_token"),
# as the contract has it; HTTPBearer would answer that as if no token were sent. Its token
# URL takes JSON rather than OAuth2's password form, which only the OpenAPI schema FastAPI
# would generate could tell, and that is switched off (main.py).
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/tokens")


def get_current_user(token: Annotated[str, Depends(oauth2_scheme)], session: SessionDep) -> User:
    """Return the user the bearer token names; 401 if the token is not one to accept."""
    # RFC 6750's error="invalid_token": a token was sent, and it is malformed, badly signed,
    # expired or revoked.
    invalid_token = HTTPException(
        status_code=401, headers={"WWW-Authenticate": WWW_AUTHENTICATE_INVALID_TOKEN}
    )
    try:
        claims = jwt.decode(
            token,
            get_settings().jwt_secret.get_secret_value(),
            algorithms=[ALGORITHM],  # and no leeway on exp
            options={"require": CLAIMS},
        )
    except InvalidTokenError:
        raise invalid_token from None
    # PyJWT has checked that sub and jti are strings; sub must name an id the path could.
    if claims["token_type"] != "access" or not re.fullmatch(USER_ID_REGEX, claims["sub"]):
        raise invalid_token
    user = session.get(User, int(claims["sub"]))
    # Revoked: the user is deleted (ids are never reused), or has a new password since the
    # token was issued (a new salt, so a new hash).
    if (
        user is None
        or user.password_hash is None
        or claims["hash_password"] != fingerprint(user.password_hash)
    ):
        raise invalid_token
    # On SQLite that read began a transaction (database.use_sqlite_transactions), and one that
    # began with a read cannot write once another connection has written since: "database is
    # locked", at once. Ended here, so that a write begins a transaction of its own. (On
    # PostgreSQL each statement commits by itself.)
    if session.get_bind().dialect.name == "sqlite":
        session.commit()
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
