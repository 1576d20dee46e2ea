"""The command line of `python -m bench`, and what its quick and full modes run."""

import argparse
from fnmatch import fnmatchcase
from pathlib import Path

from bench.databases import DATABASES
from bench.targets import every_target
from bench.workloads import WORKLOADS
from contract_tests.implementations import ROOT

REPORTS = ROOT / "reports"

# What the two modes run; every figure can be overridden on the command line. Behind the
# edge, the quick mode runs only the implementations, on one database.
FULL = {
    "duration": 10, "warmup": 5, "workload_warmup": 3, "repetitions": 3,
    "workloads": WORKLOADS, "variant_databases": DATABASES, "edge_databases": DATABASES,
    "users": 1000, "targets": ["*"], "skip": [],
}  # fmt: skip
QUICK = {
    "duration": 1, "warmup": 1, "workload_warmup": 0, "repetitions": 3,
    "workloads": ["get", "mix"], "variant_databases": ["postgresql"],
    "edge_databases": ["postgresql"], "users": 200,
    "targets": ["*"], "skip": ["bare-*-edge", "*-sync-edge"],
}  # fmt: skip


def matches(patterns: list[str], name: str) -> bool:
    """Whether one of the names or patterns ('flask*', as the shell's) matches name."""
    return any(fnmatchcase(name, pattern) for pattern in patterns)


def chosen(options: argparse.Namespace, name: str) -> bool:
    """Whether --targets chose a target, and --skip did not leave it out."""
    return matches(options.targets, name) and not matches(options.skip, name)


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
    parser.add_argument("--databases", nargs="+", choices=DATABASES, default=DATABASES)
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
    parser.add_argument("--variant-databases", nargs="*", choices=DATABASES)
    parser.add_argument(
        "--edge-databases",
        nargs="*",
        choices=DATABASES,
        help="where the targets behind the edge run (variants: --variant-databases)",
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY")
    parser.add_argument("--users", type=int, help="users seeded before loading")
    parser.add_argument("--output", type=Path, default=REPORTS / "bench.json")
    options = parser.parse_args(argv)
    if options.targets is not None and options.skip is None:
        options.skip = []  # the targets named run, whatever the mode leaves out
    for name, value in (QUICK if options.quick else FULL).items():
        if getattr(options, name) is None:
            setattr(options, name, value)
    if options.users % 20 or options.users < 20:
        parser.error("--users must be a multiple of 20 (the list workload reads whole pages)")
    names = [target.name for target in every_target()]
    for pattern in [*options.targets, *options.skip]:
        if not any(fnmatchcase(name, pattern) for name in names):
            parser.error(f"{pattern}: no such target (the targets: {', '.join(names)})")
    return options
