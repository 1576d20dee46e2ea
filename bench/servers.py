"""The servers under test: each implementation as `make serve` starts it, the same server
command serving another application (a bare baseline, a variant), and the edge (nginx, as
`make edge` configures it) in front of any of them."""

import functools
import os
import shlex
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from contract_tests.implementations import ROOT
from contract_tests.servers import make, running_server, serving
from edge.__main__ import NGINX, nginx_command
from edge.__main__ import render as render_edge

# The implementation whose `make init-db` creates the table for a bare baseline: the
# three create the very same table (contract_tests/test_one_database.py).
TABLE_FROM = "flask"

# The application each implementation's server command names in the Makefile.
APPLICATIONS = {"flask": "impl_flask:create_app()", "fastapi": "impl_fastapi.main:app"}


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
    # Set for a target behind the edge: nginx in front of this target's server (the very
    # same processes, when both are measured), and nothing else of its own.
    upstream: "Target | None" = None

    @property
    def server(self) -> "Target":
        """The target whose server runs: this one, or behind the edge, its upstream."""
        return self.upstream or self


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


def with_option(command: tuple[str, ...], option: str, value: str) -> tuple[str, ...]:
    """A server command with `option value` in place of the option's value it had."""
    index = command.index(option)
    return (*command[: index + 1], value, *command[index + 2 :])


@contextmanager
def edge_in_front(app_url: str) -> Iterator[str]:
    """Start the edge on a fresh port in front of the server at app_url; yield its base URL;
    stop it. nginx runs on the CPUs of this process, as every server it starts does."""
    with tempfile.TemporaryDirectory(prefix="bench-edge-") as folder:
        Path(folder).chmod(0o755)  # nginx's workers read and write inside it
        address = urlsplit(app_url).netloc

        def command(port: int) -> list[str]:
            return nginx_command(NGINX, folder, str(render_edge(Path(folder), address, port)))

        with serving("edge", command, os.environ) as url:
            yield url


@contextmanager
def started(target: Target, database_url: str, workers: int) -> Iterator[str]:
    """Start target on a fresh port (behind the edge: its upstream, then nginx in front);
    yield its base URL; stop it."""
    if target.upstream is not None:
        with (
            started(target.upstream, database_url, workers) as app_url,
            edge_in_front(app_url) as url,
        ):
            yield url
        return
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
