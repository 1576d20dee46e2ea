"""The "Benchmark" section, as HTML (charts inline) and as Markdown, from reports/bench.json.

`render_html(data)` and `render_markdown(data)` return one section each. The comparison report
builds its own from the same parts, which this module is where it finds: `load`,
`introduction`, `tables`, `charts` and `environment_lines` (the tables and charts of the
section "Where the database is not on loopback" last; its paragraphs: `latency_paragraphs`).
"""

import html
import re

from bench.charts import LATENCY_CHARTS, charts, write_charts
from bench.databases import server_of
from bench.figures import WORKLOAD_TITLES, database_title, databases, edge_pairs, latency_level
from bench.model import BenchResults, load
from bench.tables import latency_tables, main_tables, tables

__all__ = [
    "charts",
    "environment_lines",
    "introduction",
    "latency_paragraphs",
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
    behind_edge_env = any("BEHIND_EDGE" in env for env in data.server_settings.variant_env.values())
    servers = (
        "its server, started with BEHIND_EDGE=1 (Flask and Django: gunicorn's gthread "
        "workers, 4 threads, where `make serve` runs sync workers); a bare baseline's "
        "server is the very same process alone and behind nginx"
        if behind_edge_env  # a run from before `make edge` and `make serve` ran one server
        else "the very server measured alone: the same processes, on the same database"
    )
    edge = (
        [
            "Behind the edge, each implementation ran as `make edge` runs it: nginx "
            "(edge/__main__.py's nginx.conf around edge/edge.conf.template) on CPU 0 in front "
            f"of {servers}. Alone and behind the edge took their turns like any two targets. "
            "nginx's processes are listed after the servers'."
        ]
        if edge_pairs(data)
        else []
    )
    levels = " and ".join(map(str, method.connection_levels or [method.connections]))
    return [
        f"`python -m bench{' --quick' if quick else ''}` "
        f"({data.mode} run, {data.started}, commit {machine.commit or '?'}, "
        f"{data.elapsed_s:.0f} s) on {machine.cpu_model} ({machine.cpus} CPUs). "
        f"Each implementation ran under its production server exactly as `make serve` starts "
        f"it, with WEB_CONCURRENCY={method.web_concurrency}, pinned to CPU 0; wrk "
        f"(1 thread, {levels} connections) ran on CPU 1; PostgreSQL was not "
        f"pinned. Each workload ran {method.repetitions} times for {method.duration_s} s "
        f"after a {method.warmup_s} s warm-up, on a table of {method.users:,} seeded users, "
        f"reset after every run that writes. The targets took turns: each repetition ran "
        f"every target once before the next, so that a slower moment of the machine falls "
        f"on all of them, not on one.{shared}",
        "The bare baselines answer the same requests with the same JSON on the same servers "
        "and settings, with the same drivers (sqlite3, psycopg 3), plain SQL and no framework: "
        "a bare WSGI app under the Flask implementation's gunicorn command, a bare ASGI app "
        "under the FastAPI implementation's uvicorn command. They are each stack's limit on "
        "this machine; the percentage is what an implementation reaches of it.",
        *authentication_paragraphs(data),
        *edge,
        *delay_proxy_paragraphs(data),
        *groups_paragraphs(data),
        "Any run that met a non-2xx response or a socket error is flagged in the tables, "
        "never averaged away.",
    ]


def authentication_paragraphs(data: BenchResults) -> list[str]:
    """How the load signed in, and what one password hash costs; nothing for a run from
    before sign-in."""
    method = data.method
    if method.authentication is None:
        return []
    found = [
        f"Signing in: {method.authentication}. The bare baselines do the same authentication "
        "work with the libraries the implementations use underneath, so that the percentage "
        "still compares frameworks: PyJWT's HS256 decode and claim checks, the SELECT of the "
        "token's user that revocation needs, and the MD5 fingerprint of its hash against the "
        "token's; argon2-cffi to hash a new password and to verify one at sign-in."
    ]
    hashing = data.password_hashing
    if hashing is not None:
        found.append(
            f"Sign-up and sign-in are dominated by one argon2id hash each: the servers hashed "
            f"with m={hashing.memory_cost_kib} KiB, t={hashing.time_cost}, "
            f"p={hashing.parallelism} (read from {hashing.read_from}), and one such hash alone "
            f"took {hashing.hash_ms:.1f} ms ({hashing.hash_cpu_ms:.1f} ms of CPU; median of "
            f"{hashing.hashes} with argon2-cffi, on the servers' CPU once no server ran): on "
            f"one core, no more than {1000 / hashing.hash_cpu_ms:,.0f} sign-ins a second "
            "whatever the framework. The table of sign-up and sign-in sets it beside each "
            "server's CPU time per request."
        )
    return found


def delay_proxy_paragraphs(data: BenchResults) -> list[str]:
    """What the databases behind the delay proxy are, and the proxy's own cost."""
    found = []
    for overhead in data.delay_proxy or []:
        kind = overhead.database
        taken = [WORKLOAD_TITLES[name] for name in data.method.delayed_workloads or []]
        found.append(
            f"{database_title(kind)} is the same PostgreSQL behind bench/delay_proxy.py (this "
            f"kernel has no netem): a TCP proxy that forwards every chunk of bytes "
            f"{overhead.delay_ms:g} ms after it arrived, either way, in order, and makes a new "
            "connection wait one round trip first, as a TCP handshake does. Each target had a "
            "proxy of its own in front of its own database, not pinned (as PostgreSQL); the "
            "server's DATABASE_URL pointed at it, the bench's own checks and resets went "
            f"direct. Workloads behind it: {', '.join(taken)}; each target behind it took its "
            "turns beside the same target direct, so that what it keeps of its direct "
            "throughput is measured in the same moments. The proxy's own cost, read as the "
            f"run started (median of {overhead.queries} `SELECT 1` on one connection): "
            f"{overhead.direct_ms:.3f} ms direct, {overhead.proxy_no_delay_ms:.3f} ms through "
            f"the proxy without a delay ({overhead.proxy_no_delay_ms - overhead.direct_ms:+.3f} "
            f"ms), {overhead.proxy_delayed_ms:.3f} ms at {overhead.delay_ms:g} ms each way "
            f"({overhead.proxy_delayed_ms - overhead.direct_ms - 2 * overhead.delay_ms:+.3f} ms "
            "beyond direct and the two delays)."
        )
    return found


def groups_paragraphs(data: BenchResults) -> list[str]:
    """Where PostgreSQL's connection limit split the targets that took turns together (on
    PostgreSQL, direct and behind the delay proxy) into groups."""
    found = []
    for server in dict.fromkeys(server_of(kind) for kind in databases(data)):
        groups: dict[int, list[str]] = {}
        for item in data.results:
            if server_of(item.database) == server and item.group:
                names = groups.setdefault(item.group, [])
                names += [] if item.target in names else [item.target]
        if len(groups) > 1:
            listed = "; ".join(
                f"group {number}: {', '.join(names)}" for number, names in sorted(groups.items())
            )
            found.append(
                f"On {database_title(server)}, direct and behind the delay proxy alike, the "
                "targets' connection pools did not all fit under the server's max_connections "
                f"at once: they took turns in {len(groups)} groups, one after the other "
                f"({listed})."
            )
    return found


def latency_paragraphs(data: BenchResults) -> list[str]:
    """The paragraphs of the section 'Where the database is not on loopback'."""
    durations = [
        run.proxy_cpu_s / run.duration_s
        for item in data.results
        for run in item.repetitions
        if run.proxy_cpu_s is not None and run.duration_s
    ]
    busiest = (
        f" The proxy itself used at most {max(durations):.0%} of a core in any run (its CPU "
        "seconds over the run's duration); it, PostgreSQL, the servers and wrk share the "
        "machine's cores."
        if durations
        else ""
    )
    return [
        f"The same targets on PostgreSQL direct and behind the delay proxy, at "
        f"{latency_level(data)} connections: what each keeps of its own direct throughput, "
        "its latency, and what it spends and asks of the database per request. Database "
        "round trips and new connections are counted by the proxy, from just before each "
        "wrk run to just after it, not inferred from the code: a round trip is a client "
        "sending after the database's last answer; requests still in flight when wrk stops "
        "add their part to the counts (a longer run makes it smaller). Server CPU is the "
        "user and system time of the server's processes (behind the edge, nginx's too) per "
        "request, read before and after each run, the median of the repetitions: the work "
        "the server did, to which the time it waited for the database or for a core adds "
        "nothing (on a virtual machine, time the host takes from a busy core may count "
        f"too).{busiest}",
        "Two claims from articles, quoted beside the measurements: they are claims, not "
        "measurements, and were not measured here.",
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


LATENCY_HEADING = "Where the database is not on loopback"


def render_html(data: BenchResults) -> str:
    """The Benchmark section as HTML, charts inline; the section on the database's latency
    at its end, where the run had a database behind the delay proxy."""
    drawings = charts(data)

    def figures(latency: bool) -> list[str]:
        return [f"<figure class='chart'>{drawing}</figure>" for name, drawing in drawings.items()
                if (name in LATENCY_CHARTS) == latency]  # fmt: skip

    parts = ['<section id="benchmark">', "<h2>Benchmark</h2>"]
    parts += [f"<p>{inline_html(text)}</p>" for text in introduction(data)]
    parts += [html_table(*table) for table in main_tables(data)]
    parts += figures(latency=False)
    parts.append("<ul>" + "".join(f"<li>{inline_html(line)}</li>"
                                  for line in environment_lines(data)) + "</ul>")  # fmt: skip
    if latency_tables(data):
        parts.append(f"<h3>{LATENCY_HEADING}</h3>")
        parts += [f"<p>{inline_html(text)}</p>" for text in latency_paragraphs(data)]
        parts += [html_table(*table) for table in latency_tables(data)]
        parts += figures(latency=True)
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
    names = list(charts(data))

    def images(latency: bool) -> list[str]:
        return [f"![{name}]({image_folder}bench-{name}.svg)" for name in names
                if (name in LATENCY_CHARTS) == latency]  # fmt: skip

    parts = ["## Benchmark", *introduction(data)]
    parts += [markdown_table(*table) for table in main_tables(data)]
    parts += images(latency=False)
    parts.append("\n".join(f"- {line}" for line in environment_lines(data)))
    if latency_tables(data):
        parts += [f"### {LATENCY_HEADING}", *latency_paragraphs(data)]
        parts += [markdown_table(*table) for table in latency_tables(data)]
        parts += images(latency=True)
    return "\n\n".join(parts) + "\n"
