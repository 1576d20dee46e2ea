"""The database under each target: created empty, seeded through the API, reset after writes."""

import sqlite3
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import psycopg

from contract_tests.servers import throwaway_postgresql_database

DATABASES = ["sqlite", "postgresql"]
SEED_NAME = "Bench User"


@contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    """An empty database: a new SQLite file, or a throwaway PostgreSQL database."""
    if kind == "postgresql":
        with throwaway_postgresql_database("bench") as url:
            yield url
        return
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        yield f"sqlite:///{folder}/bench.sqlite3"


@contextmanager
def connect(url: str) -> Iterator[sqlite3.Connection | psycopg.Connection]:
    """A connection of the bench's own, to seed-check and reset the table."""
    if url.startswith("sqlite:"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30)
    else:
        connection = psycopg.connect(url)
    try:
        yield connection
        connection.commit()
    finally:
        connection.close()


def seed(base_url: str, url: str, users: int) -> None:
    """Create users 1..users through the API, then check that their ids are exactly those."""

    def create(numbers: range) -> None:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            for number in numbers:
                body = {"name": SEED_NAME, "email": f"user{number}@bench.example"}
                response = client.post("/api/users", json=body)
                if response.status_code != 201:
                    raise RuntimeError(f"seeding: {response.status_code} {response.text}")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, [range(start, users + 1, 8) for start in range(1, 9)]))
    with connect(url) as connection:
        count, highest = connection.execute("SELECT count(*), max(id) FROM users").fetchone()
    if (count, highest) != (users, users):
        raise RuntimeError(f"seeded {count} users up to id {highest}, expected 1..{users}")


def reset(url: str, users: int) -> None:
    """Put the table back as seeded: drop created users, undo renames."""
    with connect(url) as connection:
        connection.execute(f"DELETE FROM users WHERE id > {users}")
        connection.execute(f"UPDATE users SET name = '{SEED_NAME}' WHERE name <> '{SEED_NAME}'")
