"""Signing in for the load: the run's signing key, a bearer token per seeded user, and the
argon2id parameters the servers hashed with, with what one hash costs alone.

The tokens are minted here, with the run's key and exactly the claims of docs/sign-in.md, not
taken through create_token: that would cost a server one hash per user (tens of seconds of its
core for 1,000 users) and again every 15 minutes, for nothing the load measures. Each server
still issues one through create_token (check_issued), which must carry the very claims a
minted one does, and must accept a minted one."""

import hashlib
import os
import re
import secrets
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import jwt
from argon2 import PasswordHasher

from bench.databases import SEED_PASSWORD, SIGNED_UP, connect, seed_email
from bench.model import PasswordHashing

# The settings that change the implementations' argon2id parameters (docs/sign-in.md): a
# measured run leaves them unset, so that every server hashes with production's.
ARGON2_SETTINGS = ("ARGON2_MEMORY_COST", "ARGON2_TIME_COST", "ARGON2_PARALLELISM")
# Tokens are taken again when they would expire within this many seconds after a run's end:
# a token that expires during a run would turn its requests into 401s.
MARGIN_S = 60
HASHES = 25  # behind the median of one hash alone
TOKEN_LIFETIME_S = 900  # exp - iat (docs/sign-in.md)
PHC = re.compile(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[^$]+\$[^$]+")


@contextmanager
def production_signing() -> Iterator[str]:
    """Meanwhile, a JWT_SECRET of the run's own (random) and no ARGON2_* in this process's
    environment, which every server it starts inherits: production's argon2id parameters,
    whatever the shell or a test set. Yield the key; restore the environment after."""
    saved = {name: os.environ.pop(name, None) for name in ("JWT_SECRET", *ARGON2_SETTINGS)}
    os.environ["JWT_SECRET"] = key = secrets.token_urlsafe(48)
    try:
        yield key
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass(frozen=True)
class Tokens:
    """A bearer token for each seeded user, in id order (user 1's first), and when the first
    of them expires."""

    values: tuple[str, ...]
    expires_at: float  # time.time()

    def expire_within(self, seconds: float) -> bool:
        """Whether one of them expires in less than seconds from now."""
        return time.time() + seconds > self.expires_at


def fingerprint(stored: str) -> str:
    """The hash_password claim: the MD5 of the stored hash, upper-case hex."""
    return hashlib.md5(stored.encode(), usedforsecurity=False).hexdigest().upper()


def mint(user_id: int, stored: str, issued_at: int) -> str:
    """An access token for a user whose stored hash is stored, as create_token issues it,
    signed with the key every server of the run has (JWT_SECRET in this process's
    environment, which they inherit)."""
    claims = {
        "token_type": "access",
        "exp": issued_at + TOKEN_LIFETIME_S,
        "iat": issued_at,
        "jti": uuid.uuid4().hex,
        "sub": str(user_id),
        "hash_password": fingerprint(stored),
    }
    return jwt.encode(claims, os.environ["JWT_SECRET"], algorithm="HS256")


def mint_tokens(url: str, users: int) -> Tokens:
    """A token for each of users 1..users, with the hash stored in their row."""
    with connect(url) as connection:
        rows = connection.execute(f"SELECT id, password_hash FROM users WHERE id <= {int(users)}")
        stored = dict(rows.fetchall())
    issued_at = int(time.time())
    tokens = tuple(mint(user_id, stored[user_id], issued_at) for user_id in range(1, users + 1))
    return Tokens(tokens, issued_at + TOKEN_LIFETIME_S)


def check_issued(base_url: str, url: str) -> None:
    """Sign the user seeding signed up through the API in through create_token: its token
    must have the header, the claim names, the token type, the lifetime and the hash_password
    of one minted for that user (ValueError otherwise: the load would not send what the
    server issues), and the server must accept a minted token for that user. RuntimeError
    when the server does not answer 200 (a 503: no database connection to be had)."""
    (minted,) = mint_tokens(url, SIGNED_UP).values
    credentials = {"email": seed_email(SIGNED_UP), "password": SEED_PASSWORD}
    with httpx.Client(base_url=base_url, timeout=30) as client:
        response = client.post("/api/tokens", json=credentials)
        if response.status_code != 200:
            raise RuntimeError(f"signing in: {response.status_code} {response.text}")
        issued = response.json()["access_token"]
        bearer = {"Authorization": f"Bearer {minted}"}
        accepted = client.get(f"/api/users/{SIGNED_UP}", headers=bearer)
    try:
        theirs = jwt.decode(issued, os.environ["JWT_SECRET"], algorithms=["HS256"])
    except jwt.InvalidTokenError as error:
        message = f"the server's token does not verify with the run's key: {error}"
        raise ValueError(message) from None
    ours = jwt.decode(minted, options={"verify_signature": False})
    differences = [
        name
        for name, same in [
            ("header", jwt.get_unverified_header(issued) == jwt.get_unverified_header(minted)),
            ("claim names", sorted(theirs) == sorted(ours)),
            ("token_type", theirs.get("token_type") == ours["token_type"]),
            ("sub", theirs.get("sub") == ours["sub"]),
            ("lifetime", theirs.get("exp", 0) - theirs.get("iat", 0) == TOKEN_LIFETIME_S),
            ("hash_password", theirs.get("hash_password") == ours["hash_password"]),
        ]
        if not same
    ]
    if differences:
        raise ValueError(f"{base_url} issues other tokens than the bench mints: {differences}")
    if accepted.status_code == 503:
        raise RuntimeError(f"reading with a minted token: 503 {accepted.text}")
    if accepted.status_code != 200:
        raise ValueError(f"{base_url} refuses a minted token: {accepted.status_code}")


def parameters_of(stored: str) -> tuple[int, int, int]:
    """m (KiB), t and p of an argon2id hash in the PHC string format."""
    match = PHC.fullmatch(stored)
    if match is None:
        raise ValueError(f"not an argon2id PHC string: {stored[:16]}...")
    return int(match[1]), int(match[2]), int(match[3])


def stored_parameters(url: str) -> tuple[int, int, int]:
    """The argon2id parameters of every seeded user's stored hash, which must be the same
    for all of them."""
    with connect(url) as connection:
        stored = connection.execute("SELECT password_hash FROM users").fetchall()
    found = {parameters_of(value or "") for (value,) in stored}
    if len(found) != 1:
        raise ValueError(f"the seeded users' hashes have {len(found)} sets of parameters")
    return found.pop()


def one_hash_alone(
    parameters: tuple[int, int, int], read_from: str, hashes: int = HASHES
) -> PasswordHashing:
    """The median time of one argon2-cffi hash of SEED_PASSWORD with parameters, in this
    process (the bench pins it to the servers' CPU; call it once no server runs)."""
    memory_cost, time_cost, parallelism = parameters
    hasher = PasswordHasher(memory_cost=memory_cost, time_cost=time_cost, parallelism=parallelism)
    wall, cpu = [], []
    for _ in range(hashes):
        started, cpu_started = time.perf_counter(), time.process_time()
        hasher.hash(SEED_PASSWORD)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    return PasswordHashing(
        memory_cost_kib=memory_cost,
        time_cost=time_cost,
        parallelism=parallelism,
        read_from=read_from,
        hashes=hashes,
        hash_ms=round(statistics.median(wall) * 1000, 2),
        hash_cpu_ms=round(statistics.median(cpu) * 1000, 2),
    )
