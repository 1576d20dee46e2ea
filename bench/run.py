"""`python -m bench`: run every target on every database and workload, write reports/bench.json."""

import argparse
import dataclasses
import os
import sys
from datetime import UTC, datetime

from bench import charts, conditions, cpus, model, report
from bench.claims import CLAIMS
from bench.measuring import Entry, Measurement
from bench.options import chosen, parse_arguments
from bench.servers import Target
from bench.targets import Variant, descriptions, edge_targets, targets, variants
from tooling.progress import Progress


def entries(
    database: str,
    shipped: list[Target],
    edge: list[Target],
    chosen_variants: list[Variant],
    options: argparse.Namespace,
) -> list[Entry]:
    """The targets that run on a database, each with the workloads it takes part in."""
    found = [Entry(target, tuple(options.workloads), "shipped") for target in shipped]
    if database in options.edge_databases:
        found += [Entry(target, tuple(options.workloads), "edge") for target in edge]
    found += [
        Entry(
            variant.target,
            tuple(workload for workload in variant.workloads if workload in options.workloads),
            "variant",
        )
        for variant in chosen_variants
        if database in variant.databases and database in options.variant_databases
    ]
    return found


def selection(options: argparse.Namespace) -> tuple[list[Target], list[Target], list[Variant]]:
    """What --targets chose: shipped targets, targets behind the edge, variants."""
    return (
        [target for target in targets() if chosen(options, target.name)],
        [target for target in edge_targets() if chosen(options, target.name)],
        [
            variant
            for variant in variants()
            if chosen(options, variant.target.name)
            and set(options.variant_databases) & set(variant.databases)
        ],
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; write bench.json and the charts."""
    options = parse_arguments(argv)
    progress = Progress()
    cpus.pin_to_server_cpu()  # the servers inherit it; wrk runs under taskset on the other
    started_at = datetime.now(UTC)
    mode = "quick" if options.quick else "full"
    shipped, edge, chosen_variants = selection(options)
    progress.step(
        f"bench ({mode}): {len(shipped)} targets, {len(edge)} behind the edge "
        f"({options.edge_databases}), {len(chosen_variants)} variants, "
        f"{options.databases}, {options.workloads}, {options.repetitions} x {options.duration}s, "
        f"{options.connections} connections, WEB_CONCURRENCY={options.workers}"
    )
    environment = conditions.environment()
    machine = conditions.machine(environment)  # before the load: its load average at start
    versions = conditions.versions(environment)
    measurement = Measurement(options, progress)
    for database in options.databases:
        measurement.measure(database, entries(database, shipped, edge, chosen_variants, options))
    results = model.BenchResults(
        mode=mode,
        started=started_at.isoformat(timespec="seconds"),
        machine=dataclasses.replace(machine, load_average_at_end=list(os.getloadavg())),
        versions=versions,
        finished=datetime.now(UTC).isoformat(timespec="seconds"),
        elapsed_s=round(progress.elapsed, 1),
        method=conditions.method(options),
        server_settings=conditions.server_settings(options),
        targets=descriptions(),
        results=measurement.results,
        memory=measurement.memory,
        variants=[variant.description() for variant in chosen_variants],
        claims=CLAIMS,
    )
    model.save(results, options.output)
    written = charts.write_charts(results, options.output.parent)
    progress.step(f"wrote {options.output} and {', '.join(path.name for path in written)}")
    print(report.render_markdown(results))
    for result in results.results:
        if result.flagged:
            print(f"FLAGGED: {result.database} {result.target} {result.workload}: "
                  f"{result.errors} errors ({result.non_2xx} non-2xx)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
