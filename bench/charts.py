"""The report's charts, drawn by bench.svg, and the bench-*.svg files the Markdown links to."""

import statistics
from pathlib import Path

from bench import svg
from bench.databases import delay_of
from bench.figures import (
    BASELINE,
    GOAL_SHARE,
    IMPLEMENTATIONS,
    WORKLOAD_TITLES,
    against,
    at_level,
    claims,
    database_title,
    databases,
    delayed_kinds,
    edge_pairs,
    latency_level,
    latency_pairs,
    level_of,
    levels,
    main_level,
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
from bench.model import BenchResults, Claim, WorkloadResult

LATENCY_CHARTS = ("database-latency",)  # the section on the database's latency shows these
BASELINE_DASHES = {"wsgi": "7 3", "asgi": "2 2"}  # the bare baselines' lines, both grey


def color(target: str) -> str:
    """A target's color; a variant takes its implementation's."""
    return svg.COLORS.get(target, svg.COLORS.get(target.split("-")[0], "#9467bd"))


def throughput_chart(data: BenchResults, database: str, level: int | None = None) -> str:
    """Median requests/s per workload and target, whiskers from min to max."""
    groups = []
    for workload in workloads(data):
        bars = []
        for target in shipped_targets(data):
            item = result(data, database, target, workload, level)
            if item is not None:
                note = "(errors!)" if item.flagged else ""
                bars.append(svg.Bar(title(data, target), item.median_rps, item.min_rps,
                                    item.max_rps, color(target), note))  # fmt: skip
        groups.append((WORKLOAD_TITLES[workload], bars))
    heading = f"{database_title(database)}: requests/s, median of {data.method.repetitions}"
    if data.method.connection_levels is not None:  # shorter, to leave room for the level
        heading = (f"{database_title(database)}{at_level(data, level)}: req/s, median of "
                   f"{data.method.repetitions}")  # fmt: skip
    return svg.chart(
        f"{heading} (whiskers: min-max)",
        "requests per second",
        groups,
    )


def level_suffix(data: BenchResults, item: WorkloadResult) -> str:
    """', 64 connections' after a heading, where the run measured several levels."""
    return f", {level_of(data, item)} connections" if several_levels(data) else ""


def ratio_chart(data: BenchResults) -> str:
    """Each implementation as a percentage of its stack's bare baseline."""
    groups = []
    for database in databases(data):
        for workload in workloads(data):
            bars = []
            for target in IMPLEMENTATIONS:
                share = ratio(data, database, target, workload)
                if share is not None:
                    base = title(data, BASELINE[data.targets[target].stack])
                    bars.append(svg.Bar(f"{title(data, target)} / {base}", round(share * 100),
                                        color=color(target), note="%"))  # fmt: skip
            if bars:
                groups.append((f"{database_title(database)}, {WORKLOAD_TITLES[workload]}", bars))
    goal = round(GOAL_SHARE * 100)
    return svg.chart("Each implementation as % of its stack's bare baseline (median req/s"
                     f"{at_level(data)})",
                     "percent of the bare baseline", groups,
                     marks=((goal, f"goal on get one: {goal}%"),))  # fmt: skip


def edge_chart(data: BenchResults) -> str:
    """Each server behind the edge as a percentage of the same server alone."""
    groups: dict[str, list[svg.Bar]] = {}
    for server, alone, behind in edge_pairs(data):
        heading = (f"{database_title(behind.database)}, {WORKLOAD_TITLES[behind.workload]}"
                   f"{level_suffix(data, behind)}")  # fmt: skip
        share = round(behind.median_rps / alone.median_rps * 100)
        note = "% (errors!)" if behind.flagged else "%"
        groups.setdefault(heading, []).append(
            svg.Bar(title(data, server), share, color=color(server), note=note)
        )
    return svg.chart("Behind the edge (nginx), as % of the same server alone (median req/s)",
                     "percent of the server alone", list(groups.items()),
                     marks=((100, "the server alone"),))  # fmt: skip


def defaults_chart(data: BenchResults) -> str:
    """The shipped settings against another setting."""
    groups = []
    for variant, database, workload, shipped, changed in variant_pairs(data):
        bars = [
            svg.Bar("shipped", shipped.median_rps, shipped.min_rps, shipped.max_rps,
                    color(variant.implementation)),
            svg.Bar(variant.title.split(", ", 1)[-1], changed.median_rps,
                    changed.min_rps, changed.max_rps, "#bcbd22",
                    "(errors!)" if changed.flagged else ""),
        ]  # fmt: skip
        heading = (
            f"{title(data, against(variant))}, {database_title(database)}, "
            f"{WORKLOAD_TITLES[workload]}{level_suffix(data, shipped)}"
        )
        groups.append((heading, bars))
    return svg.chart("Shipped settings against others (req/s)", "requests per second", groups)


def memory_chart(data: BenchResults) -> str:
    """Mean RSS per worker after load."""
    groups = []
    for database in databases(data):
        bars = []
        for target in shipped_targets(data):
            found = workers(data, database, target)
            if found:
                sizes = [process.rss_kib / 1024 for process in found]
                bars.append(svg.Bar(title(data, target), statistics.mean(sizes), min(sizes),
                                    max(sizes), color(target), f"MiB x {len(found)}"))  # fmt: skip
        groups.append((database_title(database), bars))
    return svg.chart("Memory per worker after load (RSS, MiB)", "MiB per worker process", groups)


def claimed(claim: Claim) -> str:
    """The note after a claim's bar: its range, if it is one."""
    if claim.low == claim.high:
        return "claimed"
    return f"claimed (from {claim.low:,})"


def claims_chart(data: BenchResults) -> str:
    """Claims (hollow, dashed) beside measured get-one (solid)."""
    groups = []
    for framework in IMPLEMENTATIONS:
        bars = []
        for claim in claims(data):
            if claim.framework == framework:
                bars.append(svg.Bar(f"claim (articles): {claim.scenario}", claim.high,
                                    claim.low, claim.high, color(framework), claimed(claim),
                                    claim=True))  # fmt: skip
        for database in databases(data):
            item = result(data, database, framework, "get")
            if item is not None:
                bars.append(svg.Bar(f"measured: get one, {database_title(database)}",
                                    item.median_rps, item.min_rps, item.max_rps,
                                    color(framework), "measured"))  # fmt: skip
        groups.append((title(data, framework), bars))
    return svg.chart("Claims from articles (dashed) beside measured get-one (solid), req/s",
                     "requests per second", groups)  # fmt: skip


def latency_point(item: WorkloadResult, delay: float, figure: str) -> tuple[float, svg.Bar]:
    """One target's figure at an added latency: requests/s (min-max), or p99 (the
    repetitions' lowest and highest p99)."""
    note = "(errors!)" if item.flagged else ""
    if figure == "rps":
        return delay, svg.Bar(item.target, item.median_rps, item.min_rps, item.max_rps, note=note)
    p99s = [run.latency_ms["p99"] for run in item.repetitions if "p99" in run.latency_ms]
    return delay, svg.Bar(item.target, item.latency_ms.get("p99") or 0, min(p99s, default=None),
                          max(p99s, default=None), note=note)  # fmt: skip


def latency_lines(data: BenchResults, workload: str, figure: str) -> list[svg.Line]:
    """For each implementation and bare baseline run behind the delay proxy on workload, a
    line from direct (0) through each delay: its requests/s ('rps') or p99 ('p99')."""
    lines = []
    for target in shipped_targets(data):
        points = []
        for kind in delayed_kinds(data):
            for direct, delayed in latency_pairs(data, kind):
                if (delayed.target, delayed.workload) == (target, workload):
                    points = points or [latency_point(direct, 0, figure)]
                    points.append(latency_point(delayed, delay_of(kind) or 0, figure))
        if points:
            description = data.targets[target]
            dash = BASELINE_DASHES[description.stack] if description.baseline else ""
            lines.append(svg.Line(title(data, target), points, color(target), dash))
    return lines


def latency_chart(data: BenchResults) -> str:
    """Requests/s and p99 of each implementation and bare baseline against the latency
    added to every database round trip: direct (0), then behind the delay proxy."""
    rows = []
    for workload, heading in WORKLOAD_TITLES.items():
        throughput = latency_lines(data, workload, "rps")
        if throughput:
            p99 = latency_lines(data, workload, "p99")
            rows.append([svg.Panel(f"{heading}: requests/s", "requests per second", throughput),
                         svg.Panel(f"{heading}: p99", "p99 latency, ms", p99)])  # fmt: skip
    delays = [delay_of(kind) or 0 for kind in delayed_kinds(data)]
    return svg.line_chart(
        f"Against the database's added latency, {latency_level(data)} connections "
        "(median; whiskers: min-max)",
        "latency added each way to every database round trip (the delay proxy)",
        [(0, "direct"), *((delay, f"+{delay:g} ms") for delay in delays)],
        rows,
    )


def throughput_charts(data: BenchResults) -> dict[str, str]:
    """The throughput of each database at each connection level run: at the main level
    named throughput-<database>, at another throughput-<database>-<level>-connections."""
    found = {}
    for database in databases(data):
        for level in levels(data):
            name = f"throughput-{database}"
            if level != main_level(data):
                name += f"-{level}-connections"
            if shipped_at(data, database, level):
                found[name] = throughput_chart(data, database, level)
    return found


def main_charts(data: BenchResults) -> dict[str, str]:
    """Every chart before the section on the database's latency, by name."""
    found = throughput_charts(data)
    found["ratio"] = ratio_chart(data)
    if edge_pairs(data):
        found["edge"] = edge_chart(data)
    if data.variants:
        found["defaults"] = defaults_chart(data)
    found["memory"] = memory_chart(data)
    found["claims"] = claims_chart(data)
    return found


def charts(data: BenchResults) -> dict[str, str]:
    """Every chart, by name; the latency section's last (LATENCY_CHARTS)."""
    found = main_charts(data)
    if delayed_kinds(data):
        found["database-latency"] = latency_chart(data)
    return found


def write_charts(data: BenchResults, folder: Path) -> list[Path]:
    """Write bench-<chart>.svg files into folder; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, drawing in charts(data).items():
        path = folder / f"bench-{name}.svg"
        path.write_text(drawing + "\n", encoding="utf-8")
        paths.append(path)
    return paths
