"""Signing in for the load: the run's signing key, a bearer token per seeded user (taken
through create_token, and taken again before it would expire during a run), and the argon2id
parameters the servers hashed with, with what one hash costs alone."""

import os
import re
import secrets
import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from argon2 import PasswordHasher

from bench.databases import SEED_PASSWORD, connect
from bench.model import PasswordHashing

# The settings that change the implementations' argon2id parameters (docs/sign-in.md): a
# measured run leaves them unset, so that every server hashes with production's.
ARGON2_SETTINGS = ("ARGON2_MEMORY_COST", "ARGON2_TIME_COST", "ARGON2_PARALLELISM")
# Tokens are taken again when they would expire within this many seconds after a run's end:
# a token that expires during a run would turn its requests into 401s.
MARGIN_S = 60
HASHES = 25  # behind the median of one hash alone
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


def take_tokens(base_url: str, url: str, users: int) -> Tokens:
    """Sign users 1..users in through create_token, eight at a time as seeding signs them up
    (each a password verified by the server)."""
    # Seeding signs users up eight at a time: user n's email is seed_email(n), but its id
    # is the order its sign-up reached the database in. The tokens go by id.
    with connect(url) as connection:
        rows = connection.execute(f"SELECT id, email FROM users WHERE id <= {int(users)}")
        emails = dict(rows.fetchall())
    started = time.time()

    def sign_in(identifiers: range) -> list[tuple[str, int]]:
        taken = []
        with httpx.Client(base_url=base_url, timeout=30) as client:
            for identifier in identifiers:
                body = {"email": emails[identifier], "password": SEED_PASSWORD}
                response = client.post("/api/tokens", json=body)
                if response.status_code != 200:
                    raise RuntimeError(f"signing in: {response.status_code} {response.text}")
                answer = response.json()
                taken.append((answer["access_token"], answer["expires_in"]))
        return taken

    slices = [range(start, users + 1, 8) for start in range(1, 9)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(sign_in, slices))
    by_id = {
        identifier: answer
        for identifiers, taken in zip(slices, answers, strict=True)
        for identifier, answer in zip(identifiers, taken, strict=True)
    }
    # exp is iat + expires_in, and iat the second of issue, rounded down: at least
    # started - 1 + expires_in for every token.
    lifetime = min(expires_in for _, expires_in in by_id.values())
    tokens = tuple(by_id[identifier][0] for identifier in range(1, users + 1))
    return Tokens(tokens, started - 1 + lifetime)


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
