"""The command line of `python -m bench`, and what its quick and full modes run."""

import argparse
from fnmatch import fnmatchcase
from pathlib import Path

from bench.databases import DATABASES, DELAYED, delay_of, delayed_kind
from bench.targets import every_target
from bench.workloads import WORKLOADS
from contract_tests.implementations import ROOT

REPORTS = ROOT / "reports"
EVERY_DATABASE = [*DATABASES, DELAYED]  # DELAYED: PostgreSQL behind the proxy at --delay-ms

# What the two modes run; every figure can be overridden on the command line. Many clients
# (connection levels beyond the first) load PostgreSQL only, direct and behind the delay
# proxy, with the delayed workloads (bench/measuring.py, levels()). The implementations run
# behind the edge on PostgreSQL; the variants where their settings matter. The quick mode
# runs the implementations behind the edge (not the bare baselines) on PostgreSQL, direct
# and behind the delay proxy, and the variants on PostgreSQL direct only; get one, the mix
# and sign-in (not behind the delay proxy). Seeding costs a server two hashes (user 1's
# sign-up and one sign-in); the other users are copies of user 1's row, and their tokens
# are minted by the bench (bench/databases.py, bench/authentication.py).
FULL = {
    "duration": 5, "warmup": 3, "workload_warmup": 1, "repetitions": 3,
    "workloads": WORKLOADS, "databases": EVERY_DATABASE, "variant_databases": EVERY_DATABASE,
    "edge_databases": ["postgresql", DELAYED], "connections": [8, 64],
    "delayed_workloads": ["get", "mix"], "users": 1000, "targets": ["*"],
    "skip": ["bare-*-edge"],
}  # fmt: skip
QUICK = {
    "duration": 1, "warmup": 1, "workload_warmup": 0, "repetitions": 3,
    "workloads": ["get", "mix", "token"], "databases": EVERY_DATABASE,
    "variant_databases": ["postgresql"], "edge_databases": ["postgresql", DELAYED],
    "connections": [64], "delayed_workloads": ["get", "mix"], "users": 200,
    "targets": ["*"], "skip": ["bare-*-edge"],
}  # fmt: skip


def matches(patterns: list[str], name: str) -> bool:
    """Whether one of the names or patterns ('flask*', as the shell's) matches name."""
    return any(fnmatchcase(name, pattern) for pattern in patterns)


def chosen(options: argparse.Namespace, name: str) -> bool:
    """Whether --targets chose a target, and --skip did not leave it out."""
    return matches(options.targets, name) and not matches(options.skip, name)


def database_kind(name: str) -> str:
    """A --databases name: sqlite, postgresql, postgresql-delayed (behind the delay proxy at
    --delay-ms) or postgresql-<delay>ms (at that delay)."""
    if name in EVERY_DATABASE or delay_of(name) is not None:
        return name
    raise argparse.ArgumentTypeError(
        f"{name}: not one of {', '.join(EVERY_DATABASE)}, nor postgresql-<delay>ms"
    )


def named_delays(options: argparse.Namespace) -> None:
    """Name the delayed database: in --databases after --delay-ms; in the lists of where the
    edge and the variants run, every delayed database that --databases has."""
    delayed = delayed_kind(options.delay_ms)

    def named(kinds: list[str], delayed: list[str]) -> list[str]:
        names = (name for kind in kinds for name in (delayed if kind == DELAYED else [kind]))
        return list(dict.fromkeys(names))

    options.databases = named(options.databases, [delayed])
    every_delayed = [kind for kind in options.databases if delay_of(kind) is not None]
    for name in ("variant_databases", "edge_databases"):
        setattr(options, name, named(getattr(options, name), every_delayed or [delayed]))


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line, with the chosen mode's figures where none was given."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run every target on every database and workload, write reports/bench.json.",
    )
    parser.add_argument("--quick", action="store_true", help="a short run (a few minutes)")
    parser.add_argument("--duration", type=int, help="seconds per repetition")
    parser.add_argument("--warmup", type=int, help="seconds of warm-up per server (mix)")
    parser.add_argument("--workload-warmup", type=int, help="seconds of warm-up per workload")
    parser.add_argument("--repetitions", type=int, help="runs per workload (at least 3)")
    parser.add_argument("--workloads", nargs="+", choices=WORKLOADS)
    parser.add_argument(
        "--databases",
        nargs="+",
        type=database_kind,
        help=f"of {', '.join(EVERY_DATABASE)} (PostgreSQL behind the delay proxy at --delay-ms), "
        "postgresql-<delay>ms (at that delay) (default: all three)",
    )
    parser.add_argument(
        "--delay-ms", type=float, default=1.0, help="the delay proxy's delay each way (default: 1)"
    )
    parser.add_argument(
        "--delayed-workloads",
        nargs="+",
        choices=WORKLOADS,
        help="the workloads run behind the delay proxy (default: get mix)",
    )
    parser.add_argument(
        "--targets",
        nargs="+",
        help="names of targets to run, or patterns: 'flask*' is Flask with its variants and "
        "behind the edge, '*-edge' every target behind the edge (default: all)",
    )
    parser.add_argument(
        "--skip",
        nargs="*",
        help="names or patterns of targets to leave out (default: none; --quick without "
        f"--targets: {' '.join(QUICK['skip'])})",
    )
    parser.add_argument("--variant-databases", nargs="*", type=database_kind)
    parser.add_argument(
        "--edge-databases",
        nargs="*",
        type=database_kind,
        help="where the targets behind the edge run (variants: --variant-databases)",
    )
    parser.add_argument(
        "--connections",
        nargs="+",
        type=int,
        help="wrk's connections, one or more levels (default: 8 64; --quick: 64)",
    )
    parser.add_argument(
        "--shared-postgresql",
        action="store_true",
        help="make the databases on the server at CONTRACT_POSTGRES_URL (default: a private "
        "cluster of the run's own, when initdb and pg_ctl can make one)",
    )
    parser.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY")
    parser.add_argument("--users", type=int, help="users seeded before loading")
    parser.add_argument("--output", type=Path, default=REPORTS / "bench.json")
    options = parser.parse_args(argv)
    if options.targets is not None and options.skip is None:
        options.skip = []  # the targets named run, whatever the mode leaves out
    for name, value in (QUICK if options.quick else FULL).items():
        if getattr(options, name) is None:
            setattr(options, name, value)
    named_delays(options)
    options.connections = sorted(set(options.connections))
    if options.connections[0] < 1:
        parser.error("--connections must be at least 1")
    if options.delay_ms < 0:
        parser.error("--delay-ms must be 0 or more")
    if options.users % 20 or options.users < 20:
        parser.error("--users must be a multiple of 20 (the list workload reads whole pages)")
    names = [target.name for target in every_target()]
    for pattern in [*options.targets, *options.skip]:
        if not any(fnmatchcase(name, pattern) for name in names):
            parser.error(f"{pattern}: no such target (the targets: {', '.join(names)})")
    return options
