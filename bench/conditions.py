"""What a run records beside its figures: the machine, the versions, the method, the servers."""

import argparse
import contextlib
import os
import platform
import sqlite3

import psycopg

from bench import cpus, databases, latency, servers, workloads, wrk
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
    "pyjwt", "djangorestframework-simplejwt", "argon2-cffi", "pwdlib",
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
    with contextlib.suppress(psycopg.Error), psycopg.connect(databases.SERVER_URL) as connection:
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
        connections=options.connections[0],
        timeout_s=wrk.TIMEOUT_S,
        users=options.users,
        mix_percent=workloads.MIX,
        workloads=workloads.DESCRIPTIONS,
        reset="after every run that writes: created users deleted, names restored",
        order="the targets of a database (of PostgreSQL direct and behind the delay proxy "
        "together, a target's two side by side) started one after another, each on its own "
        "database (behind the edge: nginx in front of the same server, on its database; "
        "behind the delay proxy: a proxy of its own in front of its database), each seeded and "
        "warmed up at the highest connection level; on PostgreSQL, a target whose warm-up met "
        "an error or left fewer than 10 of the server's max_connections free is stopped and "
        "starts the next group; per workload and connection level, each repetition runs every "
        "target of a group once before the next",
        web_concurrency=options.workers,
        connection_levels=options.connections,
        delayed_workloads=options.delayed_workloads,
        server_cpu="user + system CPU seconds (psutil) of the server's master and workers, and "
        "behind the edge of nginx's processes, read just before and just after each wrk run",
        database_counts="behind the delay proxy (bench/delay_proxy.py), its counters reset just "
        "before each wrk run and read just after: connections it opened to PostgreSQL, and "
        "round trips (each time a client sends after the server's last answer); requests "
        "still in flight when wrk stops add their part to the counts, not to wrk's requests",
        postgresql_server=postgresql_server(options),
        authentication="user 1 signed up through the API with a password (hashed by the "
        "server), every other seeded user a copy of its row (the same stored hash); a token "
        "per user minted by the bench with the run's key and create_token's claims, minted "
        "again before a run during which one would expire (they last 15 minutes), after each "
        "server signed user 1 in through create_token with the same claims and accepted a "
        "minted token; every "
        "request that needs a token carries `Authorization: Bearer`: get one and list 20 a "
        "random user's, update (in the mix too) the token of the user it changes; each run "
        "signs with a random JWT_SECRET of its own and leaves ARGON2_* unset, so every server "
        "hashes with its production argon2id parameters (read back from the stored hashes)",
    )


def postgresql_server(options: argparse.Namespace) -> str:
    """Which PostgreSQL server the targets' databases were on."""
    if databases.SERVER_URL == POSTGRES_URL:
        why = "--shared-postgresql" if options.shared_postgresql else "no private cluster"
        return f"the shared server, CONTRACT_POSTGRES_URL ({why})"
    settings = ", ".join(f"{name} {value}" for name, value in databases.PRIVATE_SETTINGS.items())
    return f"a private cluster started for the run, unpinned ({settings})"


def server_settings(options: argparse.Namespace) -> ServerSettings:
    """How each target was started."""
    delays = databases.delays(options.databases)
    proxies = [" ".join(latency.command("{host}:{port}", delay)) for delay in delays]
    commands = {impl: servers.makefile_server_command(impl) for impl in IMPLEMENTATIONS}
    for target in every_target():
        if target.command is not None:
            commands[target.name] = target.command
    commands["edge"] = servers.nginx_command(servers.NGINX, "{folder}", "{folder}/nginx.conf")
    return ServerSettings(
        web_concurrency=options.workers,
        commands={name: " ".join(command) for name, command in commands.items()},
        # What differs from `make serve` in a server's environment: the variants' (behind
        # the edge, the server's own).
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
        postgresql="not pinned: it runs where the kernel puts it (both cores); behind the "
        "delay proxy, which is not pinned either",
        edge_config={
            "nginx.conf": MAIN_CONF,
            "edge.conf": (ROOT / "edge/edge.conf.template").read_text(),
        },
        delay_proxy="; ".join(proxies) or None,
    )
