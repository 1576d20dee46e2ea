"""The servers under test: each implementation as `make serve` starts it, the bare
baselines on the same servers with the same settings, and the processes behind a port."""

import contextlib
import functools
import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import wrk
from contract_tests.implementations import ROOT
from contract_tests.servers import make, running_server, serving

SERVER_CPU = 0

# The implementation whose `make init-db` creates the table for a bare baseline: the
# three create the very same table (contract_tests/test_one_database.py).
TABLE_FROM = "flask"


@dataclass(frozen=True)
class Target:
    """Something to put under load: an implementation, a bare baseline, or a variant."""

    name: str  # "flask", "bare-wsgi", "flask-gthread", ...
    title: str
    stack: str  # "wsgi" or "asgi": which bare baseline it compares with
    impl: str | None = None  # started with `make serve IMPL=impl` when command is None
    command: tuple[str, ...] | None = None  # else this command, {port} filled in
    env: tuple[tuple[str, str], ...] = ()
    init_impl: str = TABLE_FROM


# The application each implementation's server command names in the Makefile.
APPLICATIONS = {"flask": "impl_flask:create_app()", "fastapi": "impl_fastapi.main:app"}


@functools.cache
def makefile_server_command(impl: str) -> tuple[str, ...]:
    """The production server's command line for impl, from the Makefile (PORT={port})."""
    completed = subprocess.run(
        ["make", "--no-print-directory", "-s", "-n", "-C", str(ROOT), "server",
         f"IMPL={impl}", "HOST=127.0.0.1", "PORT=__PORT__"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    line = next(line for line in completed.stdout.splitlines() if line.startswith("exec "))
    return tuple(part.replace("__PORT__", "{port}") for part in shlex.split(line)[1:])


def server_command_for(impl: str, application: str) -> tuple[str, ...]:
    """impl's production server command, with all its settings, serving another application:
    a bare baseline, or a variant of the implementation."""
    return tuple(
        application if part == APPLICATIONS[impl] else part
        for part in makefile_server_command(impl)
    )


def without_http_option(command: tuple[str, ...]) -> tuple[str, ...]:
    """A uvicorn command without `--http X`: uvicorn's own default protocol."""
    index = command.index("--http")
    return command[:index] + command[index + 2 :]


def pin_to_server_cpu() -> None:
    """Pin this process to the server's CPU: every server it starts inherits that."""
    os.sched_setaffinity(0, {SERVER_CPU})


@contextmanager
def off_server_cpu() -> Iterator[None]:
    """Move this process (seeding, resets, wrk's parent) off the server's CPU meanwhile."""
    os.sched_setaffinity(0, {wrk.WRK_CPU})
    try:
        yield
    finally:
        os.sched_setaffinity(0, {SERVER_CPU})


@contextmanager
def started(target: Target, database_url: str, workers: int) -> Iterator[str]:
    """Start target on a fresh port; yield its base URL; stop it."""
    env = dict(target.env) | {"WEB_CONCURRENCY": str(workers)}
    if target.command is None:
        with running_server(target.impl, database_url, env=env) as base_url:
            yield base_url
        return
    make("init-db", target.init_impl, database_url)

    def command(port: int) -> list[str]:
        return [part.replace("{port}", str(port)) for part in target.command]

    with serving(target.name, command, os.environ | {"DATABASE_URL": database_url} | env) as url:
        yield url


def listening_inodes(port: int) -> set[str]:
    """The inodes of the sockets listening on a loopback port."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError), open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                    inodes.add(fields[9])
    return inodes


def status(pid: int) -> dict[str, str]:
    """The fields of /proc/pid/status."""
    text = Path(f"/proc/{pid}/status").read_text()
    return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)


def server_processes(port: int) -> list[dict[str, object]]:
    """Every process holding the listening socket: the master and its workers, RSS from /proc."""
    wanted = {f"socket:[{inode}]" for inode in listening_inodes(port)}
    holders = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if any(os.readlink(fd) in wanted for fd in (entry / "fd").iterdir()):
                holders.append(int(entry.name))
    processes = []
    for pid in sorted(holders):
        with contextlib.suppress(OSError):
            fields = status(pid)
            parent = int(fields["PPid"].strip())
            children = [
                other
                for other in holders
                if other != pid and status(other)["PPid"].strip() == str(pid)
            ]
            role = "worker" if parent in holders or not children else "master"
            processes.append(
                {
                    "pid": pid,
                    "role": role,
                    "rss_kib": int(re.sub(r"\D", "", fields["VmRSS"])),
                    "threads": int(fields["Threads"].strip()),
                    "cpus": fields["Cpus_allowed_list"].strip(),
                    "command": Path(f"/proc/{pid}/cmdline")
                    .read_bytes()
                    .replace(b"\0", b" ")
                    .decode()
                    .strip(),
                }
            )
    return processes


def port_of(base_url: str) -> int:
    """The port of http://127.0.0.1:port."""
    return int(base_url.rsplit(":", 1)[1])
