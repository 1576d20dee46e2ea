"""What a run records beside its figures: the machine, the versions, the method, the servers."""

import argparse
import contextlib
import os
import platform
import sqlite3

import psycopg

from bench import cpus, servers, workloads, wrk
from bench.figures import IMPLEMENTATIONS
from bench.model import Machine, Method, ServerSettings
from bench.targets import edge_targets, every_target, variants
from contract_tests.implementations import ROOT
from contract_tests.servers import POSTGRES_URL
from edge.__main__ import MAIN_CONF
from tooling.environment import Environment, describe_environment

PACKAGES = [
    "flask", "flask-sqlalchemy", "sqlalchemy", "django", "djangorestframework", "fastapi",
    "sqlmodel", "starlette", "pydantic", "gunicorn", "uvicorn", "h11", "psycopg",
]  # fmt: skip


def environment() -> Environment:
    """The machine, the checkout, and the versions of every framework, server and driver."""
    return describe_environment(PACKAGES)


def machine(environment: Environment) -> Machine:
    """The CPU, the kernel, the commit, the load as the run starts."""
    return Machine(
        cpu_model=environment.cpu,
        cpus=environment.cores,
        kernel=platform.release(),
        load_average_at_start=list(os.getloadavg()),
        commit=environment.commit,
    )


def versions(environment: Environment) -> dict[str, str]:
    """The versions of Python, SQLite, every package measured, wrk and PostgreSQL."""
    found = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    found |= environment.packages
    found["wrk"] = wrk.version()
    with contextlib.suppress(psycopg.Error), psycopg.connect(POSTGRES_URL) as connection:
        found["postgresql"] = connection.execute("SHOW server_version").fetchone()[0]
    return found


def method(options: argparse.Namespace) -> Method:
    """How the targets were loaded."""
    return Method(
        load_generator=f"wrk, 1 thread, pinned to CPU {cpus.WRK_CPU} (taskset)",
        duration_s=options.duration,
        warmup_s=options.warmup,
        workload_warmup_s=options.workload_warmup,
        repetitions=options.repetitions,
        connections=options.connections,
        timeout_s=wrk.TIMEOUT_S,
        users=options.users,
        mix_percent=workloads.MIX,
        workloads=workloads.DESCRIPTIONS,
        reset="after every run that writes: created users deleted, names restored",
        order="all targets of a database started at once, each on its own database (behind "
        "the edge: nginx in front of the same server, on its database); per workload, each "
        "repetition runs every target once before the next",
        web_concurrency=options.workers,
    )


def server_settings(options: argparse.Namespace) -> ServerSettings:
    """How each target was started."""
    commands = {impl: servers.makefile_server_command(impl) for impl in IMPLEMENTATIONS}
    for target in every_target():
        if target.command is not None:
            commands[target.name] = target.command
    commands["edge"] = servers.nginx_command(servers.NGINX, "{folder}", "{folder}/nginx.conf")
    return ServerSettings(
        web_concurrency=options.workers,
        commands={name: " ".join(command) for name, command in commands.items()},
        # What differs from `make serve` in a server's environment: the variants', and
        # BEHIND_EDGE for the implementations behind the edge.
        variant_env={
            target.name: dict(target.server.env)
            for target in [*(variant.target for variant in variants()), *edge_targets()]
            if target.server.env
        },
        gunicorn_config={
            impl: (ROOT / f"impl_{impl}/gunicorn.conf.py").read_text()
            for impl in ("flask", "django")
        },
        server_cpu=cpus.SERVER_CPU,
        wrk_cpu=cpus.WRK_CPU,
        postgresql="not pinned: it runs where the kernel puts it (both cores)",
        edge_config={
            "nginx.conf": MAIN_CONF,
            "edge.conf": (ROOT / "edge/edge.conf.template").read_text(),
        },
    )
