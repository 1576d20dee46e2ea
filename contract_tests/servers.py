"""Start an implementation under its production server, as ``make`` does."""

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
from psycopg import sql

from contract_tests.implementations import ROOT

# Where throwaway databases are created: any role that may CREATE DATABASE.
POSTGRES_URL = os.environ.get(
    "CONTRACT_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def free_port() -> int:
    """A loopback port that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make(
    target: str, impl: str, database_url: str, **variables: str
) -> subprocess.CompletedProcess:
    """Run ``make TARGET IMPL=impl`` with ``DATABASE_URL`` set; fail loudly."""
    arguments = [f"{key}={value}" for key, value in variables.items()]
    env = os.environ | {"DATABASE_URL": database_url}
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), target, f"IMPL={impl}", *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


class ServerStartupError(RuntimeError):
    """A server exited, or did not answer /health in time; the message ends with its log."""


@contextmanager
def serving(
    name: str, command: Callable[[int], list[str]], env: Mapping[str, str]
) -> Iterator[str]:
    """Run ``command(port)`` from the repository on a free port; yield its base URL; stop it."""
    port = free_port()
    # The server's output goes to a file: a pipe that nobody reads fills up after
    # some 64 KiB of access log, and the server then blocks writing to it.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command(port), cwd=ROOT, env=dict(env), start_new_session=True,
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base_url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise ServerStartupError(f"{name} exited:\n{read_log(log)}")
                try:
                    httpx.get(f"{base_url}/health", timeout=5)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise ServerStartupError(
                            f"{name} did not start:\n{read_log(log)}"
                        ) from None
                    time.sleep(0.2)
            yield base_url
        finally:
            with contextlib.suppress(ProcessLookupError):  # it and its children have exited
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@contextmanager
def running_server(
    impl: str,
    database_url: str,
    *,
    target: str = "serve",
    env: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """Run ``make TARGET`` for ``impl`` on a free port, with ``env`` added; yield its base URL."""

    def command(port: int) -> list[str]:
        return ["make", "--no-print-directory", target, f"IMPL={impl}", f"PORT={port}"]

    environment = os.environ | {"DATABASE_URL": database_url} | dict(env or {})
    with serving(impl, command, environment) as base_url:
        yield base_url


def read_log(log: IO[bytes]) -> str:
    """The last lines a server wrote, to explain why it did not start."""
    log.seek(0)
    return b"".join(log.readlines()[-40:]).decode(errors="replace")


@contextmanager
def throwaway_postgresql_database(prefix: str) -> Iterator[str]:
    """Create an empty PostgreSQL database, yield its URL, then drop it."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no PostgreSQL at {POSTGRES_URL} (set CONTRACT_POSTGRES_URL): {error}")
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield urlsplit(POSTGRES_URL)._replace(path=f"/{name}").geturl()
        finally:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def empty_database(kind: str, folder: Path, prefix: str) -> Iterator[str]:
    """Yield the URL of an empty database: a throwaway PostgreSQL one, or a new SQLite file."""
    if kind == "postgresql":
        with throwaway_postgresql_database(prefix) as url:
            yield url
    else:
        yield f"sqlite:///{folder / 'users.sqlite3'}"
