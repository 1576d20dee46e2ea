"""The database under each target: created empty, seeded (one user through the API, the rest
copied from its row), reset after writes."""

import re
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx
import psycopg
from psycopg import sql

from contract_tests.servers import POSTGRES_URL

DATABASES = ["sqlite", "postgresql"]  # on loopback
# PostgreSQL behind bench/delay_proxy.py, as the command line names it: the kind is then
# named after the delay each way, "postgresql-1ms" (bench.latency).
DELAYED = "postgresql-delayed"
DELAYED_KIND = re.compile(r"postgresql-(\d+(?:\.\d+)?)ms")
SEED_NAME = "Bench User"
# Every seeded user's password (the contract's 15 to 128 characters): what the load signs
# in with.
SEED_PASSWORD = "bench password, long enough"
# The seeded user signed up through the API; the others are copies of its row (seed()).
SIGNED_UP = 1
# The PostgreSQL server the bench makes its databases on: the contract suite's
# (CONTRACT_POSTGRES_URL) until the run starts a private cluster (run.main, use_server).
SERVER_URL = POSTGRES_URL
# A private cluster's settings: room for every target's pools at once (they then take
# turns together, bench/measuring.py), and durable commits, as on a production server.
PRIVATE_SETTINGS = {"max_connections": "1000", "fsync": "on"}


def use_server(url: str) -> None:
    """Make the bench's PostgreSQL databases on the server at url from now on."""
    global SERVER_URL  # one setting for the whole run, made once at its start
    SERVER_URL = url


def delayed_kind(delay_ms: float) -> str:
    """The database kind of PostgreSQL behind the delay proxy: 'postgresql-1ms'."""
    return f"postgresql-{delay_ms:g}ms"


def delay_of(kind: str) -> float | None:
    """The delay each way of a delayed kind, in ms; None for a database on loopback."""
    match = DELAYED_KIND.fullmatch(kind)
    return float(match[1]) if match else None


def delays(kinds: list[str]) -> list[float]:
    """The delays of the delayed kinds among kinds, in their order."""
    return [delay for kind in kinds if (delay := delay_of(kind)) is not None]


def server_of(kind: str) -> str:
    """The database server behind a kind: 'postgresql' for PostgreSQL behind the proxy."""
    return "postgresql" if delay_of(kind) is not None else kind


def postgresql(conninfo: str) -> psycopg.Connection:
    """A new connection of the bench's own to PostgreSQL, in autocommit mode; while the
    server has no connection to spare (the targets' pools and whatever else uses it count
    against max_connections), tried again for up to a minute."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return psycopg.connect(conninfo, autocommit=True)
        except psycopg.OperationalError as error:
            if "too many clients" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


# The bench's own connections to PostgreSQL databases, by URL, kept open while they serve.
HELD: dict[str, psycopg.Connection] = {}


@contextmanager
def held(url: str) -> Iterator[None]:
    """Keep a connection of the bench's own to a PostgreSQL database open meanwhile, for
    connect(url) to give: seeding checks, resets and the server's own statements then never
    wait for a connection while the targets' pools hold every one the server has."""
    HELD[url] = postgresql(url)
    try:
        yield
    finally:
        HELD.pop(url).close()


@contextmanager
def connect(url: str) -> Iterator[sqlite3.Connection | psycopg.Connection]:
    """A connection of the bench's own, to seed-check and reset the table: the one held for
    url, else a new one."""
    if url in HELD:
        yield HELD[url]
        return
    if url.startswith("sqlite:"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30)
    else:
        connection = postgresql(url)
    try:
        yield connection
        connection.commit()
    finally:
        connection.close()


def administer(statement: sql.Composable) -> None:
    """Run one statement on the server's own database."""
    with connect(SERVER_URL) as connection:
        connection.execute(statement)


@contextmanager
def throwaway_postgresql() -> Iterator[str]:
    """An empty PostgreSQL database, with a connection of the bench's own held to it; then
    dropped."""
    name = f"bench_{uuid.uuid4().hex[:8]}"
    administer(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = urlsplit(SERVER_URL)._replace(path=f"/{name}").geturl()
        with held(url):
            yield url
    finally:
        administer(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    """An empty database: a new SQLite file, or a throwaway PostgreSQL database (behind the
    delay proxy too: the proxy is started in front of it, bench.latency)."""
    if server_of(kind) == "postgresql":
        with throwaway_postgresql() as url:
            yield url
        return
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        yield f"sqlite:///{folder}/bench.sqlite3"


def seed_email(number: int) -> str:
    """The email of seeded user number (its id, once seeded)."""
    return f"user{number}@bench.example"


def seed(base_url: str, url: str, users: int) -> None:
    """Sign user 1 up through the API with SEED_PASSWORD, then copy its row in SQL for users
    2..users, each with its own email, then check that user n has id n and seed_email(n).

    The copies keep what the server wrote, in the table and the formats its implementation
    made: created_at, and the hash the server computed with its own parameters (verifying it
    costs what verifying any costs, and the run reads the parameters back from it). Signing
    every user up through the API would cost the server a hash each, tens of seconds of its
    core per target, for nothing the load measures: the create workload measures sign-up."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        body = {"name": SEED_NAME, "email": seed_email(SIGNED_UP), "password": SEED_PASSWORD}
        response = client.post("/api/users", json=body)
    if response.status_code != 201:
        raise RuntimeError(f"seeding: {response.status_code} {response.text}")
    with connect(url) as connection:
        written = connection.execute(f"SELECT * FROM users WHERE id = {SIGNED_UP}")
        copied = ", ".join(
            column for (column, *_) in written.description if column not in ("id", "email")
        )
        written.fetchall()
        # In number order, so that each copy's id (the table's own default) is its number;
        # the email is seed_email(n) written in SQL, which the check below holds to.
        connection.execute(
            "WITH RECURSIVE numbers (n) AS (SELECT 2 UNION ALL SELECT n + 1 FROM numbers "
            f"WHERE n < {int(users)}) INSERT INTO users ({copied}, email) "
            f"SELECT {copied}, 'user' || n || '@bench.example' FROM users, numbers "
            f"WHERE id = {SIGNED_UP} AND n <= {int(users)} ORDER BY n"
        )
        seeded = connection.execute("SELECT id, email FROM users ORDER BY id").fetchall()
    if seeded != [(number, seed_email(number)) for number in range(1, users + 1)]:
        raise RuntimeError(f"seeded {len(seeded)} users, not users 1..{users} in order")


def reset(url: str, users: int) -> None:
    """Put the table back as seeded: drop created users, undo renames. (No workload sets a
    password: the seeded users' hashes, and so their tokens, stay valid.)"""
    with connect(url) as connection:
        connection.execute(f"DELETE FROM users WHERE id > {users}")
        connection.execute(f"UPDATE users SET name = '{SEED_NAME}' WHERE name <> '{SEED_NAME}'")


def connections_in_use() -> tuple[int, int]:
    """The client connections open on the PostgreSQL server (the one asking left out), and
    its max_connections."""
    with connect(SERVER_URL) as connection:
        (used,) = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
        ).fetchone()
        (limit,) = connection.execute("SHOW max_connections").fetchone()
    return used - 1, int(limit)
