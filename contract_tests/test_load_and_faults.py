"""Load and faults under the production servers: races, many writers, a database that goes away.

The tests start each implementation with ``make serve`` and talk to it over
the loopback only, with a bounded number of requests. The race and load tests
run several workers (``WEB_CONCURRENCY``), so that separate processes, each
with its own connections, write to one database at once. The outage test runs
a private PostgreSQL cluster that it starts, stops and removes itself: never
the machine's shared server.
"""

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from contract_tests.client import at_once, http_client
from contract_tests.servers import free_port, running_server, throwaway_postgresql_database
from contract_tests.test_success import create_user, list_users, unique_email
from contract_tests.test_unavailable import assert_unavailable

MANY_WORKERS = {"WEB_CONCURRENCY": "4"}
RACERS = 16  # clients that POST the same email at once
RACES = 3
CREATES = 200  # users created with distinct emails ...
CREATORS = 32  # ... by this many clients at once


def spelling(email: str, number: int) -> str:
    """One of 16 letter cases of ``email``: bit ``i % 4`` of ``number`` upper-cases letter i."""
    return "".join(c.upper() if number >> (i % 4) & 1 else c for i, c in enumerate(email))


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], str]]:
    """Serve each implementation once for this module, with several workers, on a SQLite file."""
    # Starting four workers costs seconds on a small machine; the race and the load test share them.
    base_urls: dict[str, str] = {}
    with ExitStack() as stack:

        def base_url(implementation: str) -> str:
            if implementation not in base_urls:
                database = tmp_path_factory.mktemp(implementation) / "users.sqlite3"
                base_urls[implementation] = stack.enter_context(
                    running_server(implementation, f"sqlite:///{database}", env=MANY_WORKERS)
                )
            return base_urls[implementation]

        yield base_url


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_same_email_from_many_workers_at_once_is_created_once(
    implementation: str, database: str, sqlite_server: Callable[[str], str]
) -> None:
    with ExitStack() as stack:
        if database == "sqlite":
            base_url = sqlite_server(implementation)
        else:
            url = stack.enter_context(throwaway_postgresql_database(f"race_{implementation}"))
            base_url = stack.enter_context(running_server(implementation, url, env=MANY_WORKERS))
        api = stack.enter_context(http_client(base_url, RACERS))
        for _ in range(RACES):
            email = unique_email()

            def create(number: int, email: str = email) -> int:
                body = {"name": f"Racer {number}", "email": spelling(email, number)}
                return api.post("/api/users", body=body).status_code

            statuses = sorted(at_once(RACERS, create))
            assert statuses == [201] + [409] * (RACERS - 1)
            page = list_users(api, email=email.upper())
            assert page["total"] == 1
            assert [user["email"] for user in page["items"]] == [email]


def test_many_creates_from_many_workers_are_all_stored(
    implementation: str, sqlite_server: Callable[[str], str]
) -> None:
    with (
        http_client(sqlite_server(implementation), CREATORS) as api,
        ThreadPoolExecutor(CREATORS) as pool,
    ):
        before = list_users(api)["total"]

        def create(number: int) -> httpx.Response:
            return api.post("/api/users", body={"name": f"User {number}", "email": unique_email()})

        created = list(pool.map(create, range(CREATES)))
        assert [response.status_code for response in created] == [201] * CREATES, {
            response.status_code: response.text for response in created
        }
        users = {response.json()["id"]: response.json() for response in created}
        assert len(users) == CREATES
        assert list_users(api)["total"] == before + CREATES
        read = list(pool.map(lambda user_id: api.get(f"/api/users/{user_id}"), users))
        assert [response.status_code for response in read] == [200] * CREATES
        assert {response.json()["id"]: response.json() for response in read} == users


# The outage test: a private PostgreSQL cluster.


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
def private_postgresql_cluster() -> Iterator[Cluster]:
    """Create and start a throwaway cluster on a free loopback port; always remove it."""
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
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
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
        try:
            cluster.start()
            yield cluster
        finally:
            # Whatever state the test left it in: "not running" is no error here.
            cluster.stop(check=False)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def server_processes(tag: str) -> set[int]:
    """The processes whose environment holds ``tag``: make, the server and its workers."""
    needle = f"CONTRACT_SERVER_TAG={tag}".encode()
    found = set()
    for environ in Path("/proc").glob("[0-9]*/environ"):  # nothing where there is no /proc
        try:
            if needle in environ.read_bytes().split(b"\0"):
                found.add(int(environ.parent.name))
        except OSError:  # gone meanwhile, or another user's
            continue
    return found


def test_postgresql_down_then_back_needs_no_restart(implementation: str) -> None:
    tag = uuid.uuid4().hex
    # One worker, so that the first request after each outage meets the connections it broke.
    env = {"WEB_CONCURRENCY": "1", "CONTRACT_SERVER_TAG": tag}
    with (
        private_postgresql_cluster() as cluster,
        running_server(implementation, cluster.url, env=env) as base_url,
        http_client(base_url, 1) as api,
    ):
        user = create_user(api)
        processes = server_processes(tag)
        assert processes or not Path("/proc").is_dir(), "no server process found in /proc"

        cluster.stop()
        assert_unavailable(api.get("/health"))
        assert_unavailable(api.get("/api/users"))
        assert_unavailable(api.get(f"/api/users/{user['id']}"))
        assert_unavailable(api.post("/api/users", body={"name": "Down", "email": unique_email()}))
        assert server_processes(tag) == processes, "the server or a worker was restarted"

        cluster.start()
        back = api.get(f"/api/users/{user['id']}")  # the first request: no retry
        assert back.status_code == 200, back.text
        assert back.json() == user

        # An outage that no request saw: the pooled connection is dead, but only a check
        # before its next use (pool_pre_ping, CONN_HEALTH_CHECKS) can tell.
        cluster.stop()
        cluster.start()
        created = api.post("/api/users", body={"name": "Back", "email": unique_email()})
        assert created.status_code == 201, created.text
        assert list_users(api)["total"] == 2
        assert server_processes(tag) == processes, "the server or a worker was restarted"
