"""The "Benchmark" section, as HTML (charts inline) and as Markdown, from reports/bench.json.

`render_html(data)` and `render_markdown(data)` return one section each. The comparison report
builds its own from the same parts, which this module is where it finds: `load`,
`introduction`, `tables`, `charts` and `environment_lines`.
"""

import html
import re

from bench.charts import charts, write_charts
from bench.figures import edge_pairs
from bench.model import BenchResults, load
from bench.tables import tables

__all__ = [
    "charts",
    "environment_lines",
    "introduction",
    "load",
    "render_html",
    "render_markdown",
    "tables",
    "write_charts",
]


def introduction(data: BenchResults) -> list[str]:
    """The paragraphs before the tables."""
    method = data.method
    machine = data.machine
    quick = data.mode == "quick"
    shared = (
        " A quick run: runs this short, on a machine that may be doing other work, give "
        "indications; read the ratios before the absolute numbers."
        if quick
        else ""
    )
    edge = (
        [
            "Behind the edge, each implementation ran as `make edge` runs it: nginx "
            "(edge/__main__.py's nginx.conf around edge/edge.conf.template) on CPU 0 in front "
            "of its server, started with BEHIND_EDGE=1 (Flask and Django: gunicorn's gthread "
            "workers, 4 threads, where `make serve` runs sync workers); a bare baseline's "
            "server is the very same process alone and behind nginx. Alone and behind the "
            "edge took their turns like any two targets. nginx's processes are listed after "
            "the servers'."
        ]
        if edge_pairs(data)
        else []
    )
    return [
        f"`python -m bench{' --quick' if quick else ''}` "
        f"({data.mode} run, {data.started}, commit {machine.commit or '?'}, "
        f"{data.elapsed_s:.0f} s) on {machine.cpu_model} ({machine.cpus} CPUs). "
        f"Each implementation ran under its production server exactly as `make serve` starts "
        f"it, with WEB_CONCURRENCY={method.web_concurrency}, pinned to CPU 0; wrk "
        f"(1 thread, {method.connections} connections) ran on CPU 1; PostgreSQL was not "
        f"pinned. Each workload ran {method.repetitions} times for {method.duration_s} s "
        f"after a {method.warmup_s} s warm-up, on a table of {method.users:,} users "
        f"created through the API, reset after every run that writes. The targets took "
        f"turns: each repetition ran every target once before the next, so that a slower "
        f"moment of the machine falls on all of them, not on one.{shared}",
        "The bare baselines answer the same requests with the same JSON on the same servers "
        "and settings, with the same drivers (sqlite3, psycopg 3), plain SQL and no framework: "
        "a bare WSGI app under the Flask implementation's gunicorn command, a bare ASGI app "
        "under the FastAPI implementation's uvicorn command. They are each stack's limit on "
        "this machine; the percentage is what an implementation reaches of it.",
        *edge,
        "Any run that met a non-2xx response or a socket error is flagged in the tables, "
        "never averaged away.",
    ]


def environment_lines(data: BenchResults) -> list[str]:
    """Versions and settings, one line each."""
    versions = ", ".join(f"{name} {value}" for name, value in data.versions.items())
    machine = data.machine
    at_start = ", ".join(f"{value:.2f}" for value in machine.load_average_at_start)
    at_end = ", ".join(f"{value:.2f}" for value in machine.load_average_at_end or [])
    return [
        f"Versions: {versions}.",
        f"Load average at start {at_start}; at end {at_end}.",
        *(f"`{name}`: `{command}`" for name, command in data.server_settings.commands.items()),
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


def render_html(data: BenchResults) -> str:
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


def render_markdown(data: BenchResults, image_folder: str = "") -> str:
    """The Benchmark section as Markdown; charts are linked as image_folder + bench-*.svg."""
    parts = ["## Benchmark", *introduction(data)]
    parts += [markdown_table(*table) for table in tables(data)]
    parts += [f"![{name}]({image_folder}bench-{name}.svg)" for name in charts(data)]
    parts.append("\n".join(f"- {line}" for line in environment_lines(data)))
    return "\n\n".join(parts) + "\n"
