"""`python -m bench`: run every target on every database and workload, write reports/bench.json."""

import argparse
import contextlib
import importlib.metadata
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg

from bench import report, servers, wrk
from bench.servers import Target
from contract_tests.implementations import ROOT
from contract_tests.servers import POSTGRES_URL, throwaway_postgresql_database

REPORTS = ROOT / "reports"
WORKLOADS = ["get", "list", "create", "update", "mix"]
DATABASES = ["sqlite", "postgresql"]
SEED_NAME = "Bench User"
PACKAGES = [
    "flask", "flask-sqlalchemy", "sqlalchemy", "django", "djangorestframework", "fastapi",
    "sqlmodel", "starlette", "pydantic", "gunicorn", "uvicorn", "h11", "psycopg",
]  # fmt: skip
GTHREAD = "--worker-class gthread --threads 4"

# What the two modes run; every figure can be overridden on the command line.
FULL = {
    "duration": 10, "warmup": 5, "workload_warmup": 3, "repetitions": 3,
    "workloads": WORKLOADS, "variant_databases": DATABASES, "users": 1000,
}  # fmt: skip
QUICK = {
    "duration": 1, "warmup": 1, "workload_warmup": 0, "repetitions": 3,
    "workloads": ["get", "mix"], "variant_databases": ["postgresql"], "users": 200,
}  # fmt: skip


def targets() -> list[Target]:
    """The implementations, each after its stack's bare baseline."""
    return [
        Target("bare-wsgi", "bare WSGI", "wsgi",
               command=servers.server_command_for("flask", "bench.bare_wsgi:application")),
        Target("flask", "Flask", "wsgi", impl="flask"),
        Target("django", "Django + DRF", "wsgi", impl="django"),
        Target("bare-asgi", "bare ASGI", "asgi",
               command=servers.server_command_for("fastapi", "bench.bare_asgi:app")),
        Target("fastapi", "FastAPI", "asgi", impl="fastapi"),
    ]  # fmt: skip


@dataclass(frozen=True)
class Variant:
    """An implementation with one setting changed, measured beside the shipped one."""

    implementation: str
    target: Target
    what: str
    framework_default: bool  # the changed setting is the framework's or server's default
    databases: tuple[str, ...] = tuple(DATABASES)
    workloads: tuple[str, ...] = ("get",)

    def to_json(self) -> dict[str, object]:
        """What the report says of it."""
        return {
            "implementation": self.implementation, "target": self.target.name,
            "title": self.target.title, "what": self.what,
            "framework_default": self.framework_default, "workloads": list(self.workloads),
        }  # fmt: skip


def variants() -> list[Variant]:
    """Settings other than the shipped ones, each on its implementation's usual workloads."""
    uvicorn_default = servers.without_http_option(servers.makefile_server_command("fastapi"))
    fastapi_async = servers.server_command_for("fastapi", "bench.fastapi_async:app")
    gthread = (
        f"gunicorn `{GTHREAD}` (GUNICORN_CMD_ARGS) instead of the shipped sync workers, "
        "which are also gunicorn's default"
    )
    rollback = (
        "SQLite's default rollback journal (SQLITE_JOURNAL_MODE=DELETE) instead of the shipped "
        "write-ahead log (WAL)"
    )
    found = [
        Variant("flask", Target("flask-gthread", "Flask, gunicorn gthread", "wsgi",
                                impl="flask", env=(("GUNICORN_CMD_ARGS", GTHREAD),)),
                gthread, framework_default=False),
        Variant("django", Target("django-gthread", "Django, gunicorn gthread", "wsgi",
                                 impl="django", env=(("GUNICORN_CMD_ARGS", GTHREAD),)),
                gthread, framework_default=False),
        Variant("django", Target("django-conn-max-age-0", "Django, CONN_MAX_AGE 0", "wsgi",
                                 impl="django", env=(("DJANGO_CONN_MAX_AGE", "0"),)),
                "`CONN_MAX_AGE = 0` (DJANGO_CONN_MAX_AGE=0), Django's default: a new database "
                "connection for every request, instead of the shipped 60 s",
                framework_default=True),
        Variant("fastapi", Target("fastapi-default-http", "FastAPI, uvicorn's default protocol",
                                  "asgi", command=uvicorn_default, init_impl="fastapi"),
                "the Makefile's uvicorn flags without `--http impl_fastapi.server:"
                "H11NoDelayProtocol` (uvicorn's own h11, TCP_NODELAY left off with several "
                "workers)", framework_default=True),
        Variant("fastapi", Target("fastapi-async", "FastAPI, async def", "asgi",
                                  command=fastapi_async, init_impl="fastapi"),
                "get-one as an `async def` path operation on SQLAlchemy's asyncio extension "
                "(bench/fastapi_async.py; psycopg's async connections, so PostgreSQL only) "
                "instead of the shipped `def` run in FastAPI's thread pool",
                framework_default=False, databases=("postgresql",)),
    ]  # fmt: skip
    for shipped in targets():
        if shipped.impl is None:  # a bare baseline
            continue
        journal = replace(
            shipped,
            name=f"{shipped.impl}-rollback-journal",
            title=f"{shipped.title}, SQLite rollback journal",
            env=(("SQLITE_JOURNAL_MODE", "DELETE"),),
        )
        found.append(
            Variant(
                shipped.impl,
                journal,
                rollback,
                framework_default=True,
                databases=("sqlite",),
                workloads=("get", "create", "update", "mix"),
            )
        )
    return found


@dataclass(frozen=True)
class Entry:
    """A target in one database's run, with the workloads it takes part in."""

    target: Target
    workloads: tuple[str, ...]
    role: str  # "shipped" or "variant"


class Progress:
    """Progress lines with the elapsed time."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    def elapsed(self) -> float:
        """Seconds since the start."""
        return time.monotonic() - self.start

    def __call__(self, *parts: object) -> None:
        print(f"[{self.elapsed():7.1f}s]", *parts, flush=True)


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


def summarize(repetitions: list[wrk.WrkResult]) -> dict[str, object]:
    """Median and spread of the repetitions; a run with any error is flagged."""
    rates = [run.requests_per_s for run in repetitions]

    def median_of(name: str) -> float | None:
        values = [run.latency_ms[name] for run in repetitions if name in run.latency_ms]
        return round(statistics.median(values), 3) if values else None

    errors = sum(run.errors for run in repetitions)
    return {
        "median_rps": round(statistics.median(rates), 1),
        "min_rps": round(min(rates), 1),
        "max_rps": round(max(rates), 1),
        "latency_ms": {name: median_of(name) for name in ("p50", "p90", "p99", "p999", "max")},
        "errors": errors,
        "non_2xx": sum(run.non_2xx for run in repetitions),
        "flagged": errors > 0,
        "repetitions": [run.to_json() for run in repetitions],
    }


class Bench:
    """One benchmark run and everything it measured."""

    def __init__(self, options: argparse.Namespace, progress: Progress) -> None:
        self.options = options
        self.progress = progress
        self.results: list[dict[str, object]] = []
        self.memory: list[dict[str, object]] = []
        self.scripts = Path(tempfile.mkdtemp(prefix="bench-lua-"))

    def script(self, workload: str) -> Path:
        """A fresh wrk script for a workload (a new email prefix for every run)."""
        path = self.scripts / f"{workload}-{uuid.uuid4().hex[:8]}.lua"
        path.write_text(wrk.lua_script(workload, self.options.users, uuid.uuid4().hex[:8]))
        return path

    def load(self, base_url: str, workload: str, seconds: int) -> wrk.WrkResult:
        """One wrk run."""
        result, _ = wrk.run(
            base_url, self.script(workload), seconds=seconds, connections=self.options.connections
        )
        return result

    def measure(self, database: str, entries: list[Entry]) -> None:
        """Start every target on a fresh database of its own, seed and warm each up, then
        load them in turns (one repetition of each before the next), then read their memory.

        Taking turns spreads a slowdown of the machine over every target instead of
        charging it to whichever ran at that moment: the ratios stay comparable.
        """
        options = self.options
        say = self.progress
        with ExitStack() as stack:
            urls: dict[str, tuple[str, str]] = {}  # target name: (base URL, database URL)
            for entry in entries:
                target = entry.target
                url = stack.enter_context(fresh_database(database))
                say(f"{database} {target.name}: starting")
                base_url = stack.enter_context(servers.started(target, url, options.workers))
                urls[target.name] = (base_url, url)
            stack.enter_context(servers.off_server_cpu())
            for entry in entries:
                base_url, url = urls[entry.target.name]
                say(f"{database} {entry.target.name}: seeding {options.users} users")
                seed(base_url, url, options.users)
                if options.warmup:
                    say(f"{database} {entry.target.name}: warm-up, mix, {options.warmup}s")
                    self.load(base_url, "mix", options.warmup)
                    reset(url, options.users)
            for workload in WORKLOADS:
                taking_part = [entry for entry in entries if workload in entry.workloads]
                runs: dict[str, list[wrk.WrkResult]] = {e.target.name: [] for e in taking_part}
                for entry in taking_part if options.workload_warmup else []:
                    base_url, url = urls[entry.target.name]
                    self.load(base_url, workload, options.workload_warmup)
                    if workload in wrk.WRITES:
                        reset(url, options.users)
                for repetition in range(1, options.repetitions + 1):
                    for entry in taking_part:
                        base_url, url = urls[entry.target.name]
                        run = self.load(base_url, workload, options.duration)
                        runs[entry.target.name].append(run)
                        flag = f", {run.errors} ERRORS" if run.errors else ""
                        say(
                            f"{database} {entry.target.name} {workload} "
                            f"rep {repetition}/{options.repetitions}: "
                            f"{run.requests_per_s:.0f} req/s, "
                            f"p99 {run.latency_ms.get('p99', 0):.1f} ms{flag}"
                        )
                        if workload in wrk.WRITES:
                            reset(url, options.users)
                for entry in taking_part:
                    self.results.append(
                        {"database": database, "target": entry.target.name,
                         "workload": workload, "role": entry.role}
                        | summarize(runs[entry.target.name])
                    )  # fmt: skip
            for entry in entries:
                self.read_memory(database, entry, urls[entry.target.name][0])

    def read_memory(self, database: str, entry: Entry, base_url: str) -> None:
        """Record the RSS and threads of a target's processes after load."""
        processes = servers.server_processes(servers.port_of(base_url))
        self.memory.append(
            {"database": database, "target": entry.target.name, "role": entry.role,
             "processes": processes}
        )  # fmt: skip
        for process in processes:
            self.progress(
                f"{database} {entry.target.name}: {process['role']} {process['pid']} "
                f"RSS {process['rss_kib'] / 1024:.1f} MiB, "
                f"{process['threads']} threads, CPUs {process['cpus']}"
            )


def versions() -> dict[str, str]:
    """The versions of Python and every framework, server and driver measured."""
    found = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for name in PACKAGES:
        found[name] = importlib.metadata.version(name)
    found["wrk"] = wrk.version()
    with contextlib.suppress(psycopg.Error), psycopg.connect(POSTGRES_URL) as connection:
        found["postgresql"] = connection.execute("SHOW server_version").fetchone()[0]
    return found


def machine() -> dict[str, object]:
    """The CPU, the kernel, the load when the run started."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.processor(),
    )
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    return {
        "cpu_model": model,
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "load_average_at_start": list(os.getloadavg()),
        "commit": commit,
    }


def server_settings(options: argparse.Namespace) -> dict[str, object]:
    """How each target was started."""
    commands = {
        impl: servers.makefile_server_command(impl) for impl in ("flask", "django", "fastapi")
    }
    for target in [*targets(), *(variant.target for variant in variants())]:
        if target.command is not None:
            commands[target.name] = list(target.command)
    return {
        "WEB_CONCURRENCY": options.workers,
        "commands": {name: " ".join(command) for name, command in commands.items()},
        "variant_env": {v.target.name: dict(v.target.env) for v in variants() if v.target.env},
        "gunicorn_config": {
            impl: (ROOT / f"impl_{impl}/gunicorn.conf.py").read_text()
            for impl in ("flask", "django")
        },
        "server_cpu": servers.SERVER_CPU,
        "wrk_cpu": wrk.WRK_CPU,
        "postgresql": "not pinned: it runs where the kernel puts it (both cores)",
    }


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short run (under 3 minutes)")
    parser.add_argument("--duration", type=int, help="seconds per repetition")
    parser.add_argument("--warmup", type=int, help="seconds of warm-up per server (mix)")
    parser.add_argument("--workload-warmup", type=int, help="seconds of warm-up per workload")
    parser.add_argument("--repetitions", type=int, help="runs per workload (at least 3)")
    parser.add_argument("--workloads", nargs="+", choices=WORKLOADS)
    parser.add_argument("--databases", nargs="+", choices=DATABASES, default=DATABASES)
    parser.add_argument("--targets", nargs="+", help="names of targets to run (default: all)")
    parser.add_argument("--variant-databases", nargs="*", choices=DATABASES)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY")
    parser.add_argument("--users", type=int, help="users seeded before loading")
    parser.add_argument("--output", type=Path, default=REPORTS / "bench.json")
    options = parser.parse_args(argv)
    for name, value in (QUICK if options.quick else FULL).items():
        if getattr(options, name) is None:
            setattr(options, name, value)
    if options.users % 20 or options.users < 20:
        parser.error("--users must be a multiple of 20 (the list workload reads whole pages)")
    return options


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; write bench.json and the charts."""
    options = parse_arguments(argv)
    progress = Progress()
    servers.pin_to_server_cpu()  # the servers inherit it; wrk runs under taskset on CPU 1
    started_at = datetime.now(UTC)
    bench = Bench(options, progress)
    chosen = [t for t in targets() if options.targets is None or t.name in options.targets]
    progress(
        f"bench ({'quick' if options.quick else 'full'}): {len(chosen)} targets, "
        f"{options.databases}, {options.workloads}, {options.repetitions} x {options.duration}s, "
        f"{options.connections} connections, WEB_CONCURRENCY={options.workers}"
    )
    data: dict[str, object] = {
        "mode": "quick" if options.quick else "full",
        "started": started_at.isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(),
    }
    try:
        chosen_variants = [
            variant
            for variant in variants()
            if (options.targets is None or variant.implementation in options.targets)
            and set(options.variant_databases) & set(variant.databases)
        ]
        variant_notes = [variant.to_json() for variant in chosen_variants]
        for database in options.databases:
            entries = [Entry(target, tuple(options.workloads), "shipped") for target in chosen]
            entries += [
                Entry(
                    variant.target,
                    tuple(w for w in variant.workloads if w in options.workloads),
                    "variant",
                )
                for variant in chosen_variants
                if database in variant.databases and database in options.variant_databases
            ]
            bench.measure(database, entries)
    finally:
        shutil.rmtree(bench.scripts, ignore_errors=True)
    data |= {
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "elapsed_s": round(progress.elapsed(), 1),
        "method": {
            "load_generator": "wrk, 1 thread, pinned to CPU 1 (taskset)",
            "duration_s": options.duration,
            "warmup_s": options.warmup,
            "workload_warmup_s": options.workload_warmup,
            "repetitions": options.repetitions,
            "connections": options.connections,
            "timeout_s": 10,
            "users": options.users,
            "mix_percent": wrk.MIX,
            "workloads": {
                "get": "GET /api/users/{random id}",
                "list": "GET /api/users?limit=20&offset={random page}",
                "create": "POST /api/users (a new email each time)",
                "update": 'PATCH /api/users/{random id} {"name"}',
                "mix": "80% get, 10% list, 5% create, 5% update",
            },
            "reset": "after every run that writes: created users deleted, names restored",
            "order": "all targets of a database started at once, each on its own database; "
            "per workload, each repetition runs every target once before the next",
            "WEB_CONCURRENCY": options.workers,
        },
        "server_settings": server_settings(options),
        "targets": {
            t.name: {"title": t.title, "stack": t.stack, "baseline": t.name.startswith("bare-")}
            for t in [*targets(), *(v.target for v in variants())]
        },
        "results": bench.results,
        "memory": bench.memory,
        "variants": variant_notes,
        "claims": report.CLAIMS,
    }
    data["machine"]["load_average_at_end"] = list(os.getloadavg())
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(data, indent=1) + "\n")
    written = report.write_charts(data, options.output.parent)
    progress(f"wrote {options.output} and {', '.join(path.name for path in written)}")
    print(report.render_markdown(data))
    for result in bench.results:
        if result["flagged"]:
            print(f"FLAGGED: {result['database']} {result['target']} {result['workload']}: "
                  f"{result['errors']} errors ({result['non_2xx']} non-2xx)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
