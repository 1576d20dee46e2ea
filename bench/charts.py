"""The report's charts, drawn by bench.svg, and the bench-*.svg files the Markdown links to."""

import statistics
from pathlib import Path

from bench import svg
from bench.figures import (
    BASELINE,
    DATABASE_TITLES,
    GOAL_SHARE,
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
from bench.model import BenchResults, Claim


def color(target: str) -> str:
    """A target's color; a variant takes its implementation's."""
    return svg.COLORS.get(target, svg.COLORS.get(target.split("-")[0], "#9467bd"))


def throughput_chart(data: BenchResults, database: str) -> str:
    """Median requests/s per workload and target, whiskers from min to max."""
    groups = []
    for workload in workloads(data):
        bars = []
        for target in shipped_targets(data):
            item = result(data, database, target, workload)
            if item is not None:
                note = "(errors!)" if item.flagged else ""
                bars.append(svg.Bar(title(data, target), item.median_rps, item.min_rps,
                                    item.max_rps, color(target), note))  # fmt: skip
        groups.append((WORKLOAD_TITLES[workload], bars))
    return svg.chart(
        f"{DATABASE_TITLES[database]}: requests/s, median of {data.method.repetitions} "
        "(whiskers: min-max)",
        "requests per second",
        groups,
    )


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
                groups.append((f"{DATABASE_TITLES[database]}, {WORKLOAD_TITLES[workload]}", bars))
    goal = round(GOAL_SHARE * 100)
    return svg.chart("Each implementation as % of its stack's bare baseline (median req/s)",
                     "percent of the bare baseline", groups,
                     marks=((goal, f"goal on get one: {goal}%"),))  # fmt: skip


def edge_chart(data: BenchResults) -> str:
    """Each server behind the edge as a percentage of the same server alone."""
    groups: dict[str, list[svg.Bar]] = {}
    for server, alone, behind in edge_pairs(data):
        heading = f"{DATABASE_TITLES[behind.database]}, {WORKLOAD_TITLES[behind.workload]}"
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
            f"{title(data, against(variant))}, {DATABASE_TITLES[database]}, "
            f"{WORKLOAD_TITLES[workload]}"
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
        groups.append((DATABASE_TITLES[database], bars))
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
                bars.append(svg.Bar(f"measured: get one, {DATABASE_TITLES[database]}",
                                    item.median_rps, item.min_rps, item.max_rps,
                                    color(framework), "measured"))  # fmt: skip
        groups.append((title(data, framework), bars))
    return svg.chart("Claims from articles (dashed) beside measured get-one (solid), req/s",
                     "requests per second", groups)  # fmt: skip


def charts(data: BenchResults) -> dict[str, str]:
    """Every chart, by name."""
    found = {f"throughput-{database}": throughput_chart(data, database)
             for database in databases(data)}  # fmt: skip
    found["ratio"] = ratio_chart(data)
    if edge_pairs(data):
        found["edge"] = edge_chart(data)
    if data.variants:
        found["defaults"] = defaults_chart(data)
    found["memory"] = memory_chart(data)
    found["claims"] = claims_chart(data)
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
