"""`python -m bench`: run every target on every database and workload, write reports/bench.json."""

import argparse
import dataclasses
import os
import sys
from contextlib import ExitStack
from datetime import UTC, datetime

from bench import authentication, charts, conditions, cpus, databases, latency, model, report
from bench.claims import CLAIMS, LATENCY_CLAIMS
from bench.databases import PRIVATE_SETTINGS, delay_of, server_of
from bench.measuring import Entry, Measurement
from bench.options import chosen, parse_arguments
from bench.servers import Target
from bench.targets import Variant, descriptions, edge_targets, targets, variants
from contract_tests.servers import PrivateClusterError, private_postgresql_cluster
from tooling.progress import Progress


def entries(
    database: str,
    shipped: list[Target],
    edge: list[Target],
    chosen_variants: list[Variant],
    options: argparse.Namespace,
) -> list[Entry]:
    """The targets that run on a database, each with the workloads it takes part in."""
    taken = options.workloads
    if delay_of(database) is not None:  # behind the delay proxy: the workloads chosen for it
        taken = [workload for workload in taken if workload in options.delayed_workloads]
    found = [Entry(target, tuple(taken), "shipped", database) for target in shipped]
    if database in options.edge_databases:
        found += [Entry(target, tuple(taken), "edge", database) for target in edge]
    found += [
        Entry(
            variant.target,
            tuple(workload for workload in variant.workloads if workload in taken),
            "variant",
            database,
        )
        for variant in chosen_variants
        if server_of(database) in variant.databases and database in options.variant_databases
    ]
    return [entry for entry in found if entry.workloads]


def selection(options: argparse.Namespace) -> tuple[list[Target], list[Target], list[Variant]]:
    """What --targets chose: shipped targets, targets behind the edge, variants."""
    return (
        [target for target in targets() if chosen(options, target.name)],
        [target for target in edge_targets() if chosen(options, target.name)],
        [
            variant
            for variant in variants()
            if chosen(options, variant.target.name)
            and {server_of(kind) for kind in options.variant_databases} & set(variant.databases)
        ],
    )


def passes(kinds: list[str]) -> list[list[str]]:
    """The databases, in the order given, that take turns together: each on its own, but
    PostgreSQL direct and behind the delay proxy, whose ratio the report shows, together."""
    found: dict[str, list[str]] = {}
    for kind in kinds:
        found.setdefault(server_of(kind), []).append(kind)
    return list(found.values())


def proxy_overheads(delays: list[float], progress: Progress) -> list[model.ProxyOverhead]:
    """The delay proxy's own cost at each delay run: the median SELECT 1, three ways."""
    found = []
    for delay in delays:
        progress.step(f"the delay proxy's own cost: SELECT 1 direct, through it at 0 and "
                      f"{delay:g} ms each way")  # fmt: skip
        found.append(latency.overhead(delay))
        progress.step(f"median SELECT 1: direct {found[-1].direct_ms} ms, through the proxy "
                      f"{found[-1].proxy_no_delay_ms} ms at 0 ms and "
                      f"{found[-1].proxy_delayed_ms} ms at {delay:g} ms")  # fmt: skip
    return found


def postgresql_of_its_own(options: argparse.Namespace, progress: Progress) -> ExitStack:
    """Start a private PostgreSQL cluster for the run and make the databases on it, unless
    told otherwise or no PostgreSQL database runs; if none can be made, say so and use the
    shared server. Close the stack returned to stop it."""
    stack = ExitStack()
    if options.shared_postgresql or all(server_of(kind) == "sqlite" for kind in options.databases):
        return stack
    try:
        cluster = stack.enter_context(private_postgresql_cluster(PRIVATE_SETTINGS))
    except PrivateClusterError as error:
        progress.step(f"no private PostgreSQL cluster ({error}): the shared server, targets "
                      "started in groups that fit its max_connections")  # fmt: skip
        return stack
    stack.callback(databases.use_server, databases.SERVER_URL)  # back to it once stopped
    databases.use_server(cluster.url)
    progress.step(f"a private PostgreSQL cluster on port {cluster.port}: {PRIVATE_SETTINGS}")
    return stack


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; write bench.json and the charts."""
    options = parse_arguments(argv)
    progress = Progress()
    # Before pinning: the cluster's processes run wherever the kernel puts them, as the
    # shared server's do. Every server started meanwhile signs with the run's own key and
    # hashes with the implementations' production argon2id parameters.
    with postgresql_of_its_own(options, progress), authentication.production_signing():
        return measure(options, progress)


def password_hashing(measurement: Measurement, progress: Progress) -> model.PasswordHashing | None:
    """One argon2id hash alone, with the parameters the servers hashed with, timed once no
    server runs; None if no server was seeded."""
    if not measurement.hashing:
        return None
    (parameters,) = set(measurement.hashing.values())  # check_hashing saw to it
    memory_cost, time_cost, parallelism = parameters
    progress.step(f"one argon2id hash alone, m={memory_cost}, t={time_cost}, p={parallelism}: "
                  f"{authentication.HASHES} hashes on the servers' CPU")  # fmt: skip
    found = authentication.one_hash_alone(
        parameters,
        read_from=f"every seeded user's stored hash, in each of the {len(measurement.hashing)} "
        "servers' databases",
    )
    progress.step(
        f"one argon2id hash alone: {found.hash_ms} ms median ({found.hash_cpu_ms} ms CPU)"
    )
    return found


def measure(options: argparse.Namespace, progress: Progress) -> int:
    """Load every target chosen; write bench.json and the charts; print the report."""
    cpus.pin_to_server_cpu()  # the servers inherit it; wrk runs under taskset on the other
    started_at = datetime.now(UTC)
    mode = "quick" if options.quick else "full"
    shipped, edge, chosen_variants = selection(options)
    delays = databases.delays(options.databases)
    latency_dimension = (
        f"database latency: direct and {', '.join(f'+{delay:g} ms' for delay in delays)} each "
        f"way through the delay proxy ({options.delayed_workloads})"
        if delays
        else "no database latency"
    )
    progress.step(
        f"bench ({mode}): {len(shipped)} targets, {len(edge)} behind the edge "
        f"({options.edge_databases}), {len(chosen_variants)} variants, "
        f"{options.databases}, {options.workloads}, {options.repetitions} x {options.duration}s, "
        f"connections {' and '.join(map(str, options.connections))}, {latency_dimension}, "
        f"WEB_CONCURRENCY={options.workers}"
    )
    environment = conditions.environment()
    machine = conditions.machine(environment)  # before the load: its load average at start
    versions = conditions.versions(environment)
    overheads = proxy_overheads(delays, progress)
    measurement = Measurement(options, progress)
    for kinds in passes(options.databases):
        measurement.measure(
            [entry for kind in kinds
             for entry in entries(kind, shipped, edge, chosen_variants, options)]
        )  # fmt: skip
    hashing = password_hashing(measurement, progress)
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
        delay_proxy=overheads or None,
        latency_claims=LATENCY_CLAIMS,
        password_hashing=hashing,
    )
    model.save(results, options.output)
    written = charts.write_charts(results, options.output.parent)
    progress.step(f"wrote {options.output} and {', '.join(path.name for path in written)}")
    print(report.render_markdown(results))
    for result in results.results:
        if result.flagged:
            print(f"FLAGGED: {result.database} {result.target} {result.workload} "
                  f"({result.connections} connections): "
                  f"{result.errors} errors ({result.non_2xx} non-2xx)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
