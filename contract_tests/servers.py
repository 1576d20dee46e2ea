"""Start an implementation under its production server, as ``make`` does."""

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
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


class PrivateClusterError(RuntimeError):
    """No private PostgreSQL cluster can be made here; the message says why."""


def postgresql_programs() -> Path | None:
    """The folder of initdb and pg_ctl: from the PATH, else Debian's newest version."""
    if initdb := shutil.which("initdb"):
        return Path(initdb).resolve().parent
    folders = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    return folders[-1] if folders else None


@dataclass
class Cluster:
    """A PostgreSQL cluster in a folder of its own, run by ``owner`` (None: this user)."""

    programs: Path
    folder: Path
    port: int
    owner: pwd.struct_passwd | None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, program: str, *arguments: str, check: bool = True) -> None:
        """Run one of PostgreSQL's programs as the cluster's owner; fail with its log."""
        # subprocess switches user itself, between fork and exec: no runuser, su or sudo.
        as_owner = {}
        if self.owner:
            as_owner = {"user": self.owner.pw_uid, "group": self.owner.pw_gid, "extra_groups": []}
        result = subprocess.run(
            [str(self.programs / program), *arguments],
            cwd=self.folder,  # the owner may not be allowed into the current folder
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            **as_owner,
        )
        log = self.folder / "log"
        assert result.returncode == 0 or not check, "\n".join(
            [result.stdout, result.stderr, log.read_text() if log.exists() else ""]
        )

    def start(self) -> None:
        """Start the cluster and wait until it accepts connections."""
        data, log = str(self.folder / "data"), str(self.folder / "log")
        self.run("pg_ctl", "start", "--wait", "-D", data, "-l", log)

    def stop(self, *, check: bool = True) -> None:
        """Stop the cluster as a crash would: clients get no goodbye, the next start recovers."""
        data = str(self.folder / "data")
        self.run("pg_ctl", "stop", "--wait", "-m", "immediate", "-D", data, check=check)


@contextmanager
def private_postgresql_cluster(settings: Mapping[str, str] | None = None) -> Iterator[Cluster]:
    """Create and start a throwaway cluster on a free loopback port, with settings added to
    its postgresql.conf; always remove it. PrivateClusterError where none can be made."""
    programs = postgresql_programs()
    owner = None
    reason = None
    if programs is None:
        reason = "no initdb and pg_ctl on the PATH or in /usr/lib/postgresql/*/bin"
    elif os.geteuid() == 0:
        # initdb refuses to run as root: the cluster runs as the postgres OS user.
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            reason = "running as root, and no postgres OS user to run initdb as"
    if reason:
        raise PrivateClusterError(reason)
    # The postgres user must reach the folder: /tmp, not a TMPDIR (or pytest's tmp_path)
    # that only root may enter.
    folder = Path(tempfile.mkdtemp(prefix="contract-pg-", dir="/tmp" if owner else None))
    try:
        if owner:
            os.chown(folder, owner.pw_uid, owner.pw_gid)
        cluster = Cluster(programs, folder, free_port(), owner)
        data = folder / "data"
        cluster.run(
            "initdb", "-D", str(data), "-U", "postgres", "--auth=trust",
            "--locale=C", "--encoding=UTF8", "--no-sync", "--no-instructions",
        )  # fmt: skip
        # The loopback only, a socket in the folder, and no fsync: this cluster holds no data
        # worth keeping, and a test waits for none of it to reach the disk.
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {cluster.port}\n"
                f"unix_socket_directories = '{folder}'\nfsync = off\n"
            )
            conf.writelines(f"{name} = {value}\n" for name, value in (settings or {}).items())
        try:
            cluster.start()
            yield cluster
        finally:
            # Whatever state the test left it in: "not running" is no error here.
            cluster.stop(check=False)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
