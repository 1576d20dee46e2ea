"""The report's tables, each as (caption, headers, rows) of text."""

from bench.figures import (
    DATABASE_TITLES,
    GOAL_SHARE,
    GOAL_TUNED,
    IMPLEMENTATIONS,
    WORKLOAD_TITLES,
    against,
    claims,
    databases,
    edge_pairs,
    ratio,
    result,
    shipped_targets,
    title,
    variant_pairs,
    workers,
    workloads,
)
from bench.model import EDGE_ROLES, SERVER_ROLES, BenchResults, WorkloadResult

Table = tuple[str, list[str], list[list[str]]]


def spread(item: WorkloadResult) -> str:
    """min-max of the repetitions."""
    return f"{item.min_rps:,.0f}-{item.max_rps:,.0f}"


def errors_cell(item: WorkloadResult) -> str:
    """The error count, flagged."""
    return f"{item.errors} (flagged)" if item.flagged else "0"


def percent(value: float | None) -> str:
    """A ratio as a percentage."""
    return "" if value is None else f"{value:.0%}"


def milliseconds(value: float | None) -> str:
    """A latency, or nothing when none was measured."""
    return "" if value is None else f"{value:.1f}"


def throughput_table(data: BenchResults, database: str) -> Table:
    """Every target on every workload, on one database."""
    rows = []
    for workload in workloads(data):
        for target in shipped_targets(data):
            item = result(data, database, target, workload)
            if item is None:
                continue
            share = (
                "baseline"
                if data.targets[target].baseline
                else percent(ratio(data, database, target, workload))
            )
            rows.append(
                [
                    WORKLOAD_TITLES[workload],
                    title(data, target),
                    f"{item.median_rps:,.0f}",
                    spread(item),
                    share,
                    milliseconds(item.latency_ms.get("p50")),
                    milliseconds(item.latency_ms.get("p99")),
                    errors_cell(item),
                ]
            )
    headers = ["workload", "server", "req/s (median)", "min-max", "of baseline",
               "p50 ms", "p99 ms", "errors"]  # fmt: skip
    return f"{DATABASE_TITLES[database]}: requests per second", headers, rows


def edge_table(data: BenchResults) -> Table:
    """Each server alone and behind the edge: what nginx in front of it costs."""
    rows = []
    for server, alone, behind in edge_pairs(data):
        latencies = [
            f"{milliseconds(alone.latency_ms.get(name))} / "
            f"{milliseconds(behind.latency_ms.get(name))}"
            for name in ("p50", "p99")
        ]
        rows.append(
            [
                DATABASE_TITLES[behind.database],
                WORKLOAD_TITLES[behind.workload],
                title(data, server),
                f"{alone.median_rps:,.0f} ({spread(alone)})",
                f"{behind.median_rps:,.0f} ({spread(behind)})",
                percent(behind.median_rps / alone.median_rps),
                *latencies,
                errors_cell(behind),
            ]
        )
    headers = ["database", "workload", "server", "alone req/s", "behind the edge req/s",
               "behind / alone", "p50 ms alone / behind", "p99 ms alone / behind",
               "errors behind"]  # fmt: skip
    caption = "What the edge costs: each server alone and behind nginx (median, min-max)"
    return caption, headers, rows


def verdict(shipped: WorkloadResult, changed: WorkloadResult) -> str:
    """Which is faster, when the spreads do not overlap."""
    if changed.min_rps > shipped.max_rps:
        return "the other setting is faster"
    if shipped.min_rps > changed.max_rps:
        return "shipped is faster"
    return "within the spread"


def defaults_table(data: BenchResults) -> Table:
    """The shipped settings against another setting, per implementation."""
    rows = []
    for variant, database, workload, shipped, changed in variant_pairs(data):
        rows.append(
            [
                title(data, against(variant)),
                DATABASE_TITLES[database],
                WORKLOAD_TITLES[workload],
                f"{shipped.median_rps:,.0f} ({spread(shipped)})",
                variant.title.split(", ", 1)[-1],
                f"{changed.median_rps:,.0f} ({spread(changed)})"
                + (" flagged" if changed.flagged else ""),
                f"x{shipped.median_rps / changed.median_rps:.2f}",
                verdict(shipped, changed),
            ]
        )
    headers = ["", "database", "workload", "shipped req/s", "other setting", "req/s",
               "shipped / other", "verdict"]  # fmt: skip
    return "Shipped settings against others (median, min-max)", headers, rows


def variants_table(data: BenchResults) -> Table:
    """What each other setting is."""
    rows = [
        [
            variant.title,
            "the framework's or server's default" if variant.framework_default
            else "an alternative to the shipped setting",
            variant.what,
        ]
        for variant in data.variants
    ]  # fmt: skip
    return "The other settings", ["", "which is", "what changes"], rows


def goals_table(data: BenchResults) -> Table:
    """The benchmark issue's two goals on get-one, computed from the results."""
    rows = []
    for database in databases(data):
        for implementation in IMPLEMENTATIONS:
            share = ratio(data, database, implementation, "get")
            if share is None:
                continue
            rows.append([title(data, implementation), DATABASE_TITLES[database],
                         f"at least {GOAL_SHARE:.0%} of the bare baseline", percent(share),
                         "reached" if share >= GOAL_SHARE else "not reached"])  # fmt: skip
            defaults = [
                (variant, changed.median_rps, shipped.median_rps)
                for variant, db, workload, shipped, changed in variant_pairs(data)
                if (db, workload, variant.implementation) == (database, "get", implementation)
                and variant.framework_default
            ]
            if not defaults:
                rows.append([title(data, implementation), DATABASE_TITLES[database],
                             f"shipped at least {GOAL_TUNED}x the defaults",
                             "x1.00: no variant restoring a default was measured",
                             "not reached"])  # fmt: skip
            for variant, default_rps, shipped_rps in defaults:
                gain = shipped_rps / default_rps
                rows.append([title(data, implementation), DATABASE_TITLES[database],
                             f"shipped at least {GOAL_TUNED}x the defaults",
                             f"x{gain:.2f} against {variant.title}",
                             "reached" if gain >= GOAL_TUNED else "not reached"])  # fmt: skip
    headers = ["", "database", "goal (get one)", "measured", ""]
    return "Goals on get one, from the medians above", headers, rows


def memory_table(data: BenchResults) -> Table:
    """RSS of each worker process after load."""
    rows = []
    for database in databases(data):
        for target in shipped_targets(data):
            found = workers(data, database, target)
            if found:
                sizes = [process.rss_kib / 1024 for process in found]
                rows.append(
                    [
                        DATABASE_TITLES[database],
                        title(data, target),
                        str(len(found)),
                        ", ".join(f"{size:.1f}" for size in sizes),
                        str(max(process.threads for process in found)),
                    ]
                )
    headers = ["database", "server", "workers", "RSS per worker, MiB", "threads"]
    return "Memory per worker after load (RSS from /proc)", headers, rows


def edge_memory_table(data: BenchResults) -> Table:
    """nginx's processes after load, in front of each server, and where they ran."""
    rows = []
    for reading in data.memory:
        edge = workers(data, reading.database, reading.target, EDGE_ROLES)
        if edge:
            server = workers(data, reading.database, reading.target, SERVER_ROLES)
            rows.append(
                [
                    DATABASE_TITLES[reading.database],
                    title(data, data.targets[reading.target].upstream or reading.target),
                    ", ".join(f"{process.role.removeprefix('edge ')} "
                              f"{process.rss_kib / 1024:.1f}" for process in edge),
                    f"{sum(process.rss_kib for process in edge) / 1024:.1f}",
                    " ".join(sorted({process.cpus for process in edge})),
                    " ".join(sorted({process.cpus for process in server})),
                ]
            )  # fmt: skip
    headers = ["database", "in front of", "nginx processes, RSS MiB", "nginx total MiB",
               "nginx CPUs", "server CPUs"]  # fmt: skip
    return "The edge's processes after load (RSS from /proc)", headers, rows


def claims_table(data: BenchResults) -> Table:
    """The articles' claims beside what this machine measured on get-one."""
    rows = []
    for claim in claims(data):
        figure = f"{claim.low:,}" if claim.low == claim.high else f"{claim.low:,}-{claim.high:,}"
        if claim.latency_ms is not None:
            figure += f" at {claim.latency_ms} ms"
        measured = []
        for database in databases(data):
            item = result(data, database, claim.framework, "get")
            if item is not None:
                measured.append(
                    f"{DATABASE_TITLES[database]} {item.median_rps:,.0f} "
                    f"at {item.latency_ms['p50']:.1f} ms p50"
                )
        rows.append(
            [
                title(data, claim.framework),
                f"claim (articles), {claim.scenario}: {figure}",
                "; ".join(measured),
            ]
        )
    headers = ["", "claimed req/s (not measured here)", "measured here, get one (median)"]
    return "Claims from articles beside the measured figures", headers, rows


def tables(data: BenchResults) -> list[Table]:
    """Every table, in the order they appear."""
    found = [throughput_table(data, database) for database in databases(data)]
    edge = edge_pairs(data)
    if edge:
        found.append(edge_table(data))
    found.append(goals_table(data))
    found.append(defaults_table(data))
    found.append(variants_table(data))
    found.append(memory_table(data))
    if edge:
        found.append(edge_memory_table(data))
    found.append(claims_table(data))
    return found
