"""The report's tables, each as (caption, headers, rows) of text."""

from bench.databases import delay_of
from bench.figures import (
    GOAL_SHARE,
    GOAL_TUNED,
    IMPLEMENTATIONS,
    WORKLOAD_TITLES,
    against,
    at_level,
    claims,
    database_title,
    databases,
    delayed_kinds,
    edge_pairs,
    latency_claims,
    latency_level,
    latency_pairs,
    level_of,
    levels,
    ratio,
    result,
    several_levels,
    shipped_at,
    shipped_targets,
    title,
    variant_pairs,
    workers,
    workloads,
)
from bench.model import EDGE_ROLES, SERVER_ROLES, BenchResults, WorkloadResult
from bench.workloads import HASHING

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


def throughput_table(data: BenchResults, database: str, level: int | None = None) -> Table:
    """Every target on every workload, on one database, at one connection level."""
    rows = []
    for workload in workloads(data):
        for target in shipped_targets(data):
            item = result(data, database, target, workload, level)
            if item is None:
                continue
            share = (
                "baseline"
                if data.targets[target].baseline
                else percent(ratio(data, database, target, workload, level))
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
    return f"{database_title(database)}{at_level(data, level)}: requests per second", headers, rows


def hashing_table(data: BenchResults) -> Table:
    """Sign-up and sign-in, one argon2id hash each, at the level they ran at: what the
    servers spent per request beside one hash alone with the same parameters."""
    hashing = data.password_hashing
    assert hashing is not None  # main_tables shows this table only then
    rows = []
    kinds, targets = databases(data), shipped_targets(data)
    found = [item for item in data.results
             if item.role == "shipped" and item.workload in HASHING]  # fmt: skip
    found.sort(key=lambda item: (kinds.index(item.database), HASHING.index(item.workload),
                                 targets.index(item.target)))  # fmt: skip
    for item in found:
        cpu = item.server_cpu_s_per_1000
        rows.append(
            [
                database_title(item.database),
                WORKLOAD_TITLES[item.workload],
                *level_cell(data, item),
                title(data, item.target),
                f"{item.median_rps:,.1f} ({item.min_rps:,.1f}-{item.max_rps:,.1f})",
                milliseconds(item.latency_ms.get("p50")),
                milliseconds(item.latency_ms.get("p99")),
                amount(cpu, 2),
                percent(hashing.hash_cpu_ms / cpu if cpu else None),
                errors_cell(item),
            ]
        )
    headers = ["database", "workload", *level_header(data), "server",
               "req/s (median, min-max)", "p50 ms", "p99 ms", "server CPU ms per request",
               "of it, one hash alone", "errors"]  # fmt: skip
    caption = (
        f"Sign-up and sign-in: one argon2id hash each, m={hashing.memory_cost_kib} KiB, "
        f"t={hashing.time_cost}, p={hashing.parallelism}; one hash alone {hashing.hash_ms:.1f} "
        f"ms ({hashing.hash_cpu_ms:.1f} ms CPU, median of {hashing.hashes})"
    )
    return caption, headers, rows


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
                database_title(behind.database),
                WORKLOAD_TITLES[behind.workload],
                *level_cell(data, behind),
                title(data, server),
                f"{alone.median_rps:,.0f} ({spread(alone)})",
                f"{behind.median_rps:,.0f} ({spread(behind)})",
                percent(behind.median_rps / alone.median_rps),
                *latencies,
                errors_cell(behind),
            ]
        )
    headers = ["database", "workload", *level_header(data), "server", "alone req/s",
               "behind the edge req/s",
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
                database_title(database),
                WORKLOAD_TITLES[workload],
                *level_cell(data, shipped),
                f"{shipped.median_rps:,.0f} ({spread(shipped)})",
                variant.title.split(", ", 1)[-1],
                f"{changed.median_rps:,.0f} ({spread(changed)})"
                + (" flagged" if changed.flagged else ""),
                f"x{shipped.median_rps / changed.median_rps:.2f}",
                verdict(shipped, changed),
            ]
        )
    headers = ["", "database", "workload", *level_header(data), "shipped req/s",
               "other setting", "req/s", "shipped / other", "verdict"]  # fmt: skip
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
            rows.append([title(data, implementation), database_title(database),
                         f"at least {GOAL_SHARE:.0%} of the bare baseline", percent(share),
                         "reached" if share >= GOAL_SHARE else "not reached"])  # fmt: skip
            defaults = [
                (variant, changed.median_rps, shipped.median_rps)
                for variant, db, workload, shipped, changed in variant_pairs(data)
                if (db, workload, variant.implementation) == (database, "get", implementation)
                and variant.framework_default
            ]
            if not defaults:
                rows.append([title(data, implementation), database_title(database),
                             f"shipped at least {GOAL_TUNED}x the defaults",
                             "x1.00: no variant restoring a default was measured",
                             "not reached"])  # fmt: skip
            for variant, default_rps, shipped_rps in defaults:
                gain = shipped_rps / default_rps
                rows.append([title(data, implementation), database_title(database),
                             f"shipped at least {GOAL_TUNED}x the defaults",
                             f"x{gain:.2f} against {variant.title}",
                             "reached" if gain >= GOAL_TUNED else "not reached"])  # fmt: skip
    headers = ["", "database", "goal (get one)", "measured", ""]
    return f"Goals on get one, from the medians above{at_level(data)}", headers, rows


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
                        database_title(database),
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
                    database_title(reading.database),
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
                    f"{database_title(database)} {item.median_rps:,.0f} "
                    f"at {item.latency_ms['p50']:.1f} ms p50"
                )
        rows.append(
            [
                title(data, claim.framework),
                f"claim (articles), {claim.scenario}: {figure}",
                "; ".join(measured),
            ]
        )
    headers = ["", "claimed req/s (not measured here)",
               f"measured here, get one (median{at_level(data)})"]  # fmt: skip
    return "Claims from articles beside the measured figures", headers, rows


def level_header(data: BenchResults) -> list[str]:
    """A column for the connection level, where the run measured several."""
    return ["connections"] if several_levels(data) else []


def level_cell(data: BenchResults, item: WorkloadResult) -> list[str]:
    """A result's connection level, where the run measured several."""
    return [str(level_of(data, item))] if several_levels(data) else []


def amount(value: float | None, digits: int = 1) -> str:
    """A figure, or nothing where none was measured or counted."""
    return "" if value is None else f"{value:,.{digits}f}"


def both(direct: float | None, delayed: float | None, digits: int = 1) -> str:
    """Two figures, direct / behind the delay proxy."""
    return f"{amount(direct, digits)} / {amount(delayed, digits)}"


def latency_table(data: BenchResults, kind: str) -> Table:
    """Each target direct and behind the delay proxy, at the latency level: what it keeps,
    what it spends, what the proxy counted."""
    plus = f"+{delay_of(kind):g} ms"
    rows = []
    for direct, delayed in latency_pairs(data, kind):
        flagged = direct.flagged or delayed.flagged
        rows.append(
            [
                WORKLOAD_TITLES[delayed.workload],
                title(data, delayed.target),
                f"{direct.median_rps:,.0f} ({spread(direct)})",
                f"{delayed.median_rps:,.0f} ({spread(delayed)})",
                percent(delayed.median_rps / direct.median_rps if direct.median_rps else None),
                *(both(direct.latency_ms.get(name), delayed.latency_ms.get(name))
                  for name in ("p50", "p99")),
                both(direct.server_cpu_s_per_1000, delayed.server_cpu_s_per_1000, 2),
                amount(delayed.db_round_trips_per_request, 2),
                amount(delayed.db_connections_per_1000),
                f"{direct.errors} / {delayed.errors}" + (" (flagged)" if flagged else ""),
            ]
        )  # fmt: skip
    headers = ["workload", "server", "direct req/s", f"{plus} req/s", "kept",
               f"p50 ms direct / {plus}", f"p99 ms direct / {plus}",
               f"server CPU ms per request direct / {plus}", "DB round trips per request",
               "new DB connections per 1,000 requests", f"errors direct / {plus}"]  # fmt: skip
    caption = (
        f"Where the database is not on loopback: PostgreSQL direct and {database_title(kind)} "
        f"(the delay proxy), {latency_level(data)} connections, median (min-max); the "
        "database counts from the proxy"
    )
    return caption, headers, rows


def ordinal(rank: int, count: int) -> str:
    """'fastest', 'slowest' or '2nd' of count."""
    if rank == 1:
        return "fastest"
    if rank == count:
        return "slowest"
    return f"{rank}{'nd' if rank == 2 else 'rd' if rank == 3 else 'th'}"


def standing(data: BenchResults, kind: str, workload: str, framework: str) -> str:
    """The implementations behind the delay proxy on one workload, fastest first, with the
    share of their direct throughput they kept; where framework stands; its variants."""
    level = latency_level(data)
    kept = {
        delayed.target: delayed.median_rps / direct.median_rps
        for direct, delayed in latency_pairs(data, kind)
        if direct.workload == workload and direct.median_rps
    }

    def figure(item: WorkloadResult, name: str) -> str:
        return f"{name} {item.median_rps:,.0f} ({percent(kept.get(item.target))})"

    found = [result(data, kind, name, workload, level) for name in IMPLEMENTATIONS]
    measured = sorted((item for item in found if item), key=lambda item: -item.median_rps)
    figures = [figure(item, title(data, item.target)) for item in measured]
    text = f"{WORKLOAD_TITLES[workload]}, {database_title(kind)}: {', '.join(figures)}"
    names = [item.target for item in measured]
    if framework in names:
        rank = ordinal(names.index(framework) + 1, len(names))
        text += f": {title(data, framework)} {rank} of {len(names)}"
    for variant in data.variants:
        item = result(data, kind, variant.target, workload, level)
        if variant.implementation == framework and item is not None:
            text += f"; {figure(item, variant.title)}"
    return text


def latency_claims_table(data: BenchResults) -> Table:
    """The articles' claims on waiting for the database, quoted, beside the measurements."""
    rows = []
    for quote in latency_claims(data):
        measured = [
            standing(data, kind, workload, quote.framework)
            for kind in delayed_kinds(data)
            for workload in WORKLOAD_TITLES
            if any(direct.workload == workload for direct, _ in latency_pairs(data, kind))
        ]
        rows.append([title(data, quote.framework), f"\u201c{quote.text}\u201d ({quote.about})",
                     "; ".join(measured)])  # fmt: skip
    headers = ["", "claim (articles, quoted; not measured here)",
               f"measured here, {latency_level(data)} connections: req/s (median) and the "
               "share of its own direct throughput kept"]  # fmt: skip
    return (
        "The articles' claims on waiting for the database, beside the measurements",
        headers,
        rows,
    )


def latency_tables(data: BenchResults) -> list[Table]:
    """The section 'Where the database is not on loopback': the claims, then each delay's
    table; none without a run behind the delay proxy."""
    kinds = delayed_kinds(data)
    if not kinds:
        return []
    return [latency_claims_table(data), *(latency_table(data, kind) for kind in kinds)]


def main_tables(data: BenchResults) -> list[Table]:
    """Every table before the section on the database's latency, in the order they appear."""
    found = [
        throughput_table(data, database, level)
        for database in databases(data)
        for level in levels(data)
        if shipped_at(data, database, level)
    ]
    if data.password_hashing is not None:
        found.append(hashing_table(data))
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


def tables(data: BenchResults) -> list[Table]:
    """Every table, in the order they appear."""
    return main_tables(data) + latency_tables(data)
