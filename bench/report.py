"""The "Benchmark" section, as HTML (charts inline) and as Markdown, from reports/bench.json.

`render_html(data)` and `render_markdown(data)` return one section each, for the
comparison report to include; `write_charts(data, folder)` writes the SVG files that
the Markdown links to (bench-*.svg, next to bench.json).
"""

import html
import json
import re
import statistics
from pathlib import Path

from bench import svg

# What articles claim, for the reader to set beside the measured figures. Not measured here.
CLAIMS = [
    {"framework": "fastapi", "scenario": "JSON endpoint", "low": 15000, "high": 20000},
    {"framework": "django", "scenario": "JSON endpoint", "low": 2500, "high": 3000},
    {"framework": "flask", "scenario": "JSON endpoint", "low": 2000, "high": 4000},
    {"framework": "fastapi", "scenario": "with database calls", "low": 440, "high": 440,
     "latency_ms": 11},
    {"framework": "flask", "scenario": "with database calls", "low": 344, "high": 344,
     "latency_ms": 14},
]  # fmt: skip
IMPLEMENTATIONS = ["flask", "django", "fastapi"]
BASELINE = {"wsgi": "bare-wsgi", "asgi": "bare-asgi"}
DATABASE_TITLES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
WORKLOAD_TITLES = {
    "get": "get one",
    "list": "list 20",
    "create": "create",
    "update": "update",
    "mix": "mix",
}
CHARTS = ["throughput-sqlite", "throughput-postgresql", "ratio", "defaults", "memory", "claims"]


def load(path: Path) -> dict:
    """Read bench.json."""
    return json.loads(path.read_text())


def title(data: dict, target: str) -> str:
    """A target's display name."""
    return data["targets"].get(target, {}).get("title", target)


def result(data: dict, database: str, target: str, workload: str) -> dict | None:
    """The summary of one target on one workload and database."""
    return next(
        (
            item
            for item in data["results"]
            if (item["database"], item["target"], item["workload"]) == (database, target, workload)
        ),
        None,
    )


def ratio(data: dict, database: str, target: str, workload: str) -> float | None:
    """A target's median as a fraction of its stack's bare baseline."""
    stack = data["targets"][target]["stack"]
    measured = result(data, database, target, workload)
    baseline = result(data, database, BASELINE[stack], workload)
    if measured is None or baseline is None or not baseline["median_rps"]:
        return None
    return measured["median_rps"] / baseline["median_rps"]


def databases(data: dict) -> list[str]:
    """The databases measured, in a fixed order."""
    found = {item["database"] for item in data["results"]}
    return [name for name in DATABASE_TITLES if name in found]


def workloads(data: dict) -> list[str]:
    """The workloads measured, in a fixed order."""
    found = {item["workload"] for item in data["results"] if item["role"] == "shipped"}
    return [name for name in WORKLOAD_TITLES if name in found]


def shipped_targets(data: dict) -> list[str]:
    """Baselines and implementations, in the order they ran."""
    seen: list[str] = []
    for item in data["results"]:
        if item["role"] == "shipped" and item["target"] not in seen:
            seen.append(item["target"])
    return seen


def workers(data: dict, database: str, target: str) -> list[dict]:
    """The worker processes of a target, as read after load."""
    for entry in data["memory"]:
        if (entry["database"], entry["target"]) == (database, target):
            return [process for process in entry["processes"] if process["role"] == "worker"]
    return []


def spread(item: dict) -> str:
    """min-max of the repetitions."""
    return f"{item['min_rps']:,.0f}-{item['max_rps']:,.0f}"


def errors_cell(item: dict) -> str:
    """The error count, flagged."""
    return f"{item['errors']} (flagged)" if item["flagged"] else "0"


def percent(value: float | None) -> str:
    """A ratio as a percentage."""
    return "" if value is None else f"{value:.0%}"


# --- tables: (caption, headers, rows) ---------------------------------------------------


def throughput_table(data: dict, database: str) -> tuple[str, list[str], list[list[str]]]:
    """Every target on every workload, on one database."""
    rows = []
    for workload in workloads(data):
        for target in shipped_targets(data):
            item = result(data, database, target, workload)
            if item is None:
                continue
            share = (
                "baseline"
                if data["targets"][target]["baseline"]
                else percent(ratio(data, database, target, workload))
            )
            latency = item["latency_ms"]
            rows.append(
                [
                    WORKLOAD_TITLES[workload],
                    title(data, target),
                    f"{item['median_rps']:,.0f}",
                    spread(item),
                    share,
                    f"{latency['p50']:.1f}" if latency.get("p50") is not None else "",
                    f"{latency['p99']:.1f}" if latency.get("p99") is not None else "",
                    errors_cell(item),
                ]
            )
    headers = ["workload", "server", "req/s (median)", "min-max", "of baseline",
               "p50 ms", "p99 ms", "errors"]  # fmt: skip
    return f"{DATABASE_TITLES[database]}: requests per second", headers, rows


def variant_pairs(data: dict) -> list[tuple[dict, str, str, dict, dict]]:
    """(variant, database, workload, shipped result, variant result) for every pair measured."""
    pairs = []
    for variant in data.get("variants", []):
        for database in databases(data):
            for workload in variant.get("workloads", ["get"]):
                changed = result(data, database, variant["target"], workload)
                shipped = result(data, database, variant["implementation"], workload)
                if changed is not None and shipped is not None:
                    pairs.append((variant, database, workload, shipped, changed))
    return pairs


def verdict(shipped: dict, changed: dict) -> str:
    """Which is faster, when the spreads do not overlap."""
    if changed["min_rps"] > shipped["max_rps"]:
        return "the other setting is faster"
    if shipped["min_rps"] > changed["max_rps"]:
        return "shipped is faster"
    return "within the spread"


def defaults_table(data: dict) -> tuple[str, list[str], list[list[str]]]:
    """The shipped settings against another setting, per implementation."""
    rows = []
    for variant, database, workload, shipped, changed in variant_pairs(data):
        rows.append(
            [
                title(data, variant["implementation"]),
                DATABASE_TITLES[database],
                WORKLOAD_TITLES[workload],
                f"{shipped['median_rps']:,.0f} ({spread(shipped)})",
                variant["title"].split(", ", 1)[-1],
                f"{changed['median_rps']:,.0f} ({spread(changed)})"
                + (" flagged" if changed["flagged"] else ""),
                f"x{shipped['median_rps'] / changed['median_rps']:.2f}",
                verdict(shipped, changed),
            ]
        )
    headers = ["", "database", "workload", "shipped req/s", "other setting", "req/s",
               "shipped / other", "verdict"]  # fmt: skip
    return "Shipped settings against others (median, min-max)", headers, rows


def variants_table(data: dict) -> tuple[str, list[str], list[list[str]]]:
    """What each other setting is."""
    rows = [
        [
            variant["title"],
            "the framework's or server's default" if variant.get("framework_default")
            else "an alternative to the shipped setting",
            variant["what"],
        ]
        for variant in data.get("variants", [])
    ]  # fmt: skip
    return "The other settings", ["", "which is", "what changes"], rows


GOAL_SHARE = 0.40  # of the stack's bare baseline, on get-one
GOAL_TUNED = 1.5  # shipped against the framework's defaults, on get-one


def goals_table(data: dict) -> tuple[str, list[str], list[list[str]]]:
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
                (variant, changed["median_rps"], shipped["median_rps"])
                for variant, db, workload, shipped, changed in variant_pairs(data)
                if (db, workload, variant["implementation"]) == (database, "get", implementation)
                and variant.get("framework_default")
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
                             f"x{gain:.2f} against {variant['title']}",
                             "reached" if gain >= GOAL_TUNED else "not reached"])  # fmt: skip
    headers = ["", "database", "goal (get one)", "measured", ""]
    return "Goals on get one, from the medians above", headers, rows


def memory_table(data: dict) -> tuple[str, list[str], list[list[str]]]:
    """RSS of each worker process after load."""
    rows = []
    for database in databases(data):
        for target in shipped_targets(data):
            found = workers(data, database, target)
            if found:
                sizes = [process["rss_kib"] / 1024 for process in found]
                rows.append(
                    [
                        DATABASE_TITLES[database],
                        title(data, target),
                        str(len(found)),
                        ", ".join(f"{size:.1f}" for size in sizes),
                        str(max(process["threads"] for process in found)),
                    ]
                )
    headers = ["database", "server", "workers", "RSS per worker, MiB", "threads"]
    return "Memory per worker after load (RSS from /proc)", headers, rows


def claims_table(data: dict) -> tuple[str, list[str], list[list[str]]]:
    """The articles' claims beside what this machine measured on get-one."""
    rows = []
    for claim in data.get("claims", CLAIMS):
        figure = (
            f"{claim['low']:,}"
            if claim["low"] == claim["high"]
            else (f"{claim['low']:,}-{claim['high']:,}")
        )
        if "latency_ms" in claim:
            figure += f" at {claim['latency_ms']} ms"
        measured = []
        for database in databases(data):
            item = result(data, database, claim["framework"], "get")
            if item is not None:
                measured.append(
                    f"{DATABASE_TITLES[database]} {item['median_rps']:,.0f} "
                    f"at {item['latency_ms']['p50']:.1f} ms p50"
                )
        rows.append(
            [
                title(data, claim["framework"]),
                f"claim (articles), {claim['scenario']}: {figure}",
                "; ".join(measured),
            ]
        )
    headers = ["", "claimed req/s (not measured here)", "measured here, get one (median)"]
    return "Claims from articles beside the measured figures", headers, rows


# --- charts -------------------------------------------------------------------------------


def color(target: str) -> str:
    """A target's color; a variant takes its implementation's."""
    return svg.COLORS.get(target, svg.COLORS.get(target.split("-")[0], "#9467bd"))


def throughput_chart(data: dict, database: str) -> str:
    """Median requests/s per workload and target, whiskers from min to max."""
    groups = []
    for workload in workloads(data):
        bars = []
        for target in shipped_targets(data):
            item = result(data, database, target, workload)
            if item is not None:
                note = "(errors!)" if item["flagged"] else ""
                bars.append(svg.Bar(title(data, target), item["median_rps"], item["min_rps"],
                                    item["max_rps"], color(target), note))  # fmt: skip
        groups.append((WORKLOAD_TITLES[workload], bars))
    return svg.chart(
        f"{DATABASE_TITLES[database]}: requests/s, median of {data['method']['repetitions']} "
        "(whiskers: min-max)",
        "requests per second",
        groups,
    )


def ratio_chart(data: dict) -> str:
    """Each implementation as a percentage of its stack's bare baseline."""
    groups = []
    for database in databases(data):
        for workload in workloads(data):
            bars = []
            for target in IMPLEMENTATIONS:
                share = ratio(data, database, target, workload)
                if share is not None:
                    base = title(data, BASELINE[data["targets"][target]["stack"]])
                    bars.append(svg.Bar(f"{title(data, target)} / {base}", round(share * 100),
                                        color=color(target), note="%"))  # fmt: skip
            if bars:
                groups.append((f"{DATABASE_TITLES[database]}, {WORKLOAD_TITLES[workload]}", bars))
    goal = round(GOAL_SHARE * 100)
    return svg.chart("Each implementation as % of its stack's bare baseline (median req/s)",
                     "percent of the bare baseline", groups,
                     marks=((goal, f"goal on get one: {goal}%"),))  # fmt: skip


def defaults_chart(data: dict) -> str:
    """The shipped settings against another setting."""
    groups = []
    for variant, database, workload, shipped, changed in variant_pairs(data):
        bars = [
            svg.Bar("shipped", shipped["median_rps"], shipped["min_rps"], shipped["max_rps"],
                    color(variant["implementation"])),
            svg.Bar(variant["title"].split(", ", 1)[-1], changed["median_rps"],
                    changed["min_rps"], changed["max_rps"], "#bcbd22",
                    "(errors!)" if changed["flagged"] else ""),
        ]  # fmt: skip
        heading = (
            f"{title(data, variant['implementation'])}, {DATABASE_TITLES[database]}, "
            f"{WORKLOAD_TITLES[workload]}"
        )
        groups.append((heading, bars))
    return svg.chart("Shipped settings against others (req/s)", "requests per second", groups)


def memory_chart(data: dict) -> str:
    """Mean RSS per worker after load."""
    groups = []
    for database in databases(data):
        bars = []
        for target in shipped_targets(data):
            found = workers(data, database, target)
            if found:
                sizes = [process["rss_kib"] / 1024 for process in found]
                bars.append(svg.Bar(title(data, target), statistics.mean(sizes), min(sizes),
                                    max(sizes), color(target), f"MiB x {len(found)}"))  # fmt: skip
        groups.append((DATABASE_TITLES[database], bars))
    return svg.chart("Memory per worker after load (RSS, MiB)", "MiB per worker process", groups)


def claimed(claim: dict) -> str:
    """The note after a claim's bar: its range, if it is one."""
    if claim["low"] == claim["high"]:
        return "claimed"
    return f"claimed (from {claim['low']:,})"


def claims_chart(data: dict) -> str:
    """Claims (hollow, dashed) beside measured get-one (solid)."""
    groups = []
    for framework in IMPLEMENTATIONS:
        bars = []
        for claim in data.get("claims", CLAIMS):
            if claim["framework"] == framework:
                bars.append(svg.Bar(f"claim (articles): {claim['scenario']}", claim["high"],
                                    claim["low"], claim["high"], color(framework), claimed(claim),
                                    claim=True))  # fmt: skip
        for database in databases(data):
            item = result(data, database, framework, "get")
            if item is not None:
                bars.append(svg.Bar(f"measured: get one, {DATABASE_TITLES[database]}",
                                    item["median_rps"], item["min_rps"], item["max_rps"],
                                    color(framework), "measured"))  # fmt: skip
        groups.append((title(data, framework), bars))
    return svg.chart("Claims from articles (dashed) beside measured get-one (solid), req/s",
                     "requests per second", groups)  # fmt: skip


def charts(data: dict) -> dict[str, str]:
    """Every chart, by name."""
    found = {f"throughput-{database}": throughput_chart(data, database)
             for database in databases(data)}  # fmt: skip
    found["ratio"] = ratio_chart(data)
    if data.get("variants"):
        found["defaults"] = defaults_chart(data)
    found["memory"] = memory_chart(data)
    found["claims"] = claims_chart(data)
    return found


def write_charts(data: dict, folder: Path) -> list[Path]:
    """Write bench-<chart>.svg files into folder; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, drawing in charts(data).items():
        path = folder / f"bench-{name}.svg"
        path.write_text(drawing + "\n", encoding="utf-8")
        paths.append(path)
    return paths


# --- the section --------------------------------------------------------------------------


def introduction(data: dict) -> list[str]:
    """The paragraphs before the tables."""
    method = data["method"]
    machine = data["machine"]
    shared = (
        " A quick run: runs this short, on a machine that may be doing other work, give "
        "indications; read the ratios before the absolute numbers."
        if data["mode"] == "quick"
        else ""
    )
    return [
        f"`python -m bench{' --quick' if data['mode'] == 'quick' else ''}` "
        f"({data['mode']} run, {data['started']}, commit {machine.get('commit', '?')}, "
        f"{data['elapsed_s']:.0f} s) on {machine['cpu_model']} ({machine['cpus']} CPUs). "
        f"Each implementation ran under its production server exactly as `make serve` starts "
        f"it, with WEB_CONCURRENCY={method['WEB_CONCURRENCY']}, pinned to CPU 0; wrk "
        f"(1 thread, {method['connections']} connections) ran on CPU 1; PostgreSQL was not "
        f"pinned. Each workload ran {method['repetitions']} times for {method['duration_s']} s "
        f"after a {method['warmup_s']} s warm-up, on a table of {method['users']:,} users "
        f"created through the API, reset after every run that writes. The targets took "
        f"turns: each repetition ran every target once before the next, so that a slower "
        f"moment of the machine falls on all of them, not on one.{shared}",
        "The bare baselines answer the same requests with the same JSON on the same servers "
        "and settings, with the same drivers (sqlite3, psycopg 3), plain SQL and no framework: "
        "a bare WSGI app under the Flask implementation's gunicorn command, a bare ASGI app "
        "under the FastAPI implementation's uvicorn command. They are each stack's limit on "
        "this machine; the percentage is what an implementation reaches of it.",
        "Any run that met a non-2xx response or a socket error is flagged in the tables, "
        "never averaged away.",
    ]


def environment_lines(data: dict) -> list[str]:
    """Versions and settings, one line each."""
    versions = ", ".join(f"{name} {value}" for name, value in data["versions"].items())
    machine = data["machine"]
    return [
        f"Versions: {versions}.",
        f"Load average at start {', '.join(f'{v:.2f}' for v in machine['load_average_at_start'])}"
        f"; at end {', '.join(f'{v:.2f}' for v in machine.get('load_average_at_end', []))}.",
        *(
            f"`{name}`: `{command}`"
            for name, command in data["server_settings"]["commands"].items()
        ),
    ]


CODE = re.compile(r"`([^`]+)`")


def inline_html(text: str) -> str:
    """Escape text, keeping `code` spans."""
    return CODE.sub(lambda match: f"<code>{match[1]}</code>", html.escape(text, quote=False))


def html_table(caption: str, headers: list[str], rows: list[list[str]]) -> str:
    """A table with its caption."""
    head = "".join(f"<th>{inline_html(cell)}</th>" for cell in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{inline_html(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return (
        f"<div class='table'><table><caption>{inline_html(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def tables(data: dict) -> list[tuple[str, list[str], list[list[str]]]]:
    """Every table, in the order they appear."""
    found = [throughput_table(data, database) for database in databases(data)]
    found.append(goals_table(data))
    found.append(defaults_table(data))
    found.append(variants_table(data))
    found.append(memory_table(data))
    found.append(claims_table(data))
    return found


def render_html(data: dict) -> str:
    """The Benchmark section as HTML, charts inline."""
    drawings = charts(data)
    parts = ['<section id="benchmark">', "<h2>Benchmark</h2>"]
    parts += [f"<p>{inline_html(text)}</p>" for text in introduction(data)]
    for caption, headers, rows in tables(data):
        parts.append(html_table(caption, headers, rows))
    parts += [f"<figure class='chart'>{drawing}</figure>" for drawing in drawings.values()]
    parts.append("<ul>" + "".join(f"<li>{inline_html(line)}</li>"
                                  for line in environment_lines(data)) + "</ul>")  # fmt: skip
    parts.append("</section>")
    return "\n".join(parts)


def markdown_table(caption: str, headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table under a bold caption."""

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    separator = "|" + "|".join("---" for _ in headers) + "|"
    return "\n".join([f"**{caption}**", "", line(headers), separator, *map(line, rows)])


def render_markdown(data: dict, image_folder: str = "") -> str:
    """The Benchmark section as Markdown; charts are linked as image_folder + bench-*.svg."""
    parts = ["## Benchmark", *introduction(data)]
    parts += [markdown_table(*table) for table in tables(data)]
    parts += [f"![{name}]({image_folder}bench-{name}.svg)" for name in charts(data)]
    parts.append("\n".join(f"- {line}" for line in environment_lines(data)))
    return "\n\n".join(parts) + "\n"
