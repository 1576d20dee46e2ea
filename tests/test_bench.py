"""The benchmark's own parts, without load: the bare baselines, wrk's output, the report.

`python -m bench` compares each implementation with a bare app on the same server; that
comparison only means something if the bare apps answer the very same JSON.
"""

import contextlib
import sqlite3
import xml.etree.ElementTree as ElementTree
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench import bare, report, servers, wrk
from bench.run import fresh_database, targets, variants
from contract_tests.implementations import IMPLEMENTATIONS
from contract_tests.servers import empty_database, make, running_server

NAMES = [implementation.name for implementation in IMPLEMENTATIONS]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_bare_baselines_answer_the_same_json(backend: str, tmp_path: Path) -> None:
    """Get-one and list: the same JSON from each bare baseline as from each implementation."""
    baselines = [target for target in targets() if target.command is not None]
    assert [target.name for target in baselines] == ["bare-wsgi", "bare-asgi"]
    # Variants with a command of their own serve the same contract on their databases.
    baselines += [
        variant.target
        for variant in variants()
        if variant.target.command is not None and backend in variant.databases
    ]
    single = {"WEB_CONCURRENCY": "1"}
    with ExitStack() as stack:
        url = stack.enter_context(empty_database(backend, tmp_path, "bench_test"))
        clients = {}
        for name in NAMES:
            base_url = stack.enter_context(running_server(name, url, env=single))
            clients[name] = stack.enter_context(httpx.Client(base_url=base_url, timeout=30))
        for target in baselines:
            base_url = stack.enter_context(servers.started(target, url, workers=1))
            clients[target.name] = stack.enter_context(httpx.Client(base_url=base_url, timeout=30))
        # A user written by each implementation and each baseline: each stores created_at
        # its own way (on SQLite, Django leaves out a fraction of zero); all must read alike.
        ids = []
        for name, client in clients.items():
            body = {"name": f"Written by {name} é", "email": f"{name}@Example.com"}
            response = client.post("/api/users", json=body)
            assert response.status_code == 201, response.text
            created = response.json()
            assert created["email"] == f"{name}@example.com"
            assert response.headers["location"] == f"/api/users/{created['id']}"
            ids.append(created["id"])
        for path, params in [
            *((f"/api/users/{identifier}", {}) for identifier in ids),
            ("/api/users", {"limit": 3, "offset": 2}),
            ("/api/users", {}),
            ("/api/users", {"email": "FLASK@example.com"}),
        ]:
            answers = {}
            for name, client in clients.items():
                response = client.get(path, params=params)
                assert response.status_code == 200, (name, response.text)
                assert response.headers["content-type"] == "application/json"
                answers[name] = response.json()
            expected = answers["flask"]
            assert all(answer == expected for answer in answers.values()), answers
        assert answers["flask"]["total"] == 1
        patched = clients["bare-asgi"].patch(f"/api/users/{ids[0]}", json={"name": "Renamed"})
        assert patched.status_code == 200
        assert patched.json() == clients["django"].get(f"/api/users/{ids[0]}").json()
        assert patched.json()["name"] == "Renamed"


WRK_OUTPUT = """\
Running 2s test @ http://127.0.0.1:8000
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.10ms    1.20ms  31.02ms   91.20%
    Req/Sec     2.61k   150.33     2.90k    75.00%
  Latency Distribution
     50%    2.95ms
     75%    3.30ms
     90%    4.01ms
     99%    1.02s
  5210 requests in 2.00s, 1.17MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 17
Requests/sec:   2604.87
Transfer/sec:    598.12KB
"""


def test_wrk_output_with_errors() -> None:
    """Rate, percentiles in any unit, socket errors and non-2xx responses are all read."""
    result = wrk.parse(WRK_OUTPUT)
    assert result.requests == 5210
    assert result.duration_s == 2.0
    assert result.requests_per_s == 2604.87
    assert result.latency_ms == {"p50": 2.95, "p75": 3.3, "p90": 4.01, "p99": 1020.0}
    assert result.non_2xx == 17
    assert result.socket_errors == {"connect": 0, "read": 3, "write": 0, "timeout": 2}
    assert result.errors == 22
    assert result.to_json()["errors"] == 22


def test_wrk_output_without_errors_and_with_the_scripts_line() -> None:
    """No error lines means no errors; the script's JSON line gives exact percentiles."""
    clean = "\n".join(
        line for line in WRK_OUTPUT.splitlines() if "errors" not in line and "Non-2xx" not in line
    )
    assert wrk.parse(clean).errors == 0
    line = (
        'BENCH_JSON {"requests":5210,"duration_us":2000000,"status":4,"connect":0,"read":0,'
        '"write":0,"timeout":0,"p50_us":2950,"p90_us":4010,"p99_us":9000,"p999_us":20500,'
        '"max_us":31020,"mean_us":3100.5}'
    )
    result = wrk.parse(clean + "\n" + line + "\n")
    assert result.non_2xx == 4
    assert result.errors == 4
    assert result.latency_ms["p99"] == 9.0
    assert result.latency_ms["p999"] == 20.5


def test_wrk_refuses_other_output() -> None:
    """A wrk that failed to run is not read as a run with no requests."""
    with pytest.raises(ValueError, match="not wrk output"):
        wrk.parse("unable to connect to 127.0.0.1:1 Connection refused\n")


@pytest.mark.parametrize("workload", sorted(wrk.REQUESTS))
def test_lua_scripts_are_filled_in(workload: str) -> None:
    """Each workload's script sends its own requests, over users 1..N."""
    script = wrk.lua_script(workload, users=1000, nonce="abc")
    assert f"request = {wrk.REQUESTS[workload]}\n" in script
    assert "local users = 1000\n" in script
    assert "{users}" not in script
    assert "{nonce}" not in script


def summary(rps: float, errors: int = 0) -> dict[str, Any]:
    """One result's summary, as bench.run writes it."""
    return {
        "median_rps": rps,
        "min_rps": rps * 0.9,
        "max_rps": rps * 1.1,
        "latency_ms": {"p50": 2.0, "p90": 3.0, "p99": 5.0, "p999": 8.0, "max": 9.0},
        "errors": errors,
        "non_2xx": errors,
        "flagged": errors > 0,
        "repetitions": [],
    }


def fake_bench() -> dict[str, Any]:
    """A small bench.json: one database, get-one, the five targets and one variant."""
    rates = {"bare-wsgi": 1000, "flask": 500, "django": 250, "bare-asgi": 800, "fastapi": 200}
    results = [
        {"database": "sqlite", "target": name, "workload": "get", "role": "shipped"}
        | summary(rate, errors=3 if name == "django" else 0)
        for name, rate in rates.items()
    ]
    results.append(
        {
            "database": "sqlite",
            "target": "fastapi-default-http",
            "workload": "get",
            "role": "variant",
        }
        | summary(50)
    )
    titles = {
        "bare-wsgi": "bare WSGI",
        "flask": "Flask",
        "django": "Django + DRF",
        "bare-asgi": "bare ASGI",
        "fastapi": "FastAPI",
        "fastapi-default-http": "FastAPI, uvicorn's default protocol",
    }
    return {
        "mode": "quick",
        "started": "2026-11-21T12:00:00+00:00",
        "elapsed_s": 100.0,
        "machine": {
            "cpu_model": "Test CPU",
            "cpus": 2,
            "commit": "abc1234",
            "load_average_at_start": [1.0, 1.0, 1.0],
        },
        "versions": {"python": "3.11.7", "wrk": "wrk 4.1.0"},
        "method": {
            "repetitions": 3,
            "duration_s": 1,
            "warmup_s": 1,
            "connections": 8,
            "users": 1000,
            "WEB_CONCURRENCY": 2,
        },
        "server_settings": {"commands": {"flask": "gunicorn --config impl_flask/gunicorn.conf.py"}},
        "targets": {
            name: {
                "title": title,
                "stack": "asgi" if "asgi" in name or "fastapi" in name else "wsgi",
                "baseline": name.startswith("bare-"),
            }
            for name, title in titles.items()
        },
        "results": results,
        "memory": [
            {
                "database": "sqlite",
                "target": "flask",
                "role": "shipped",
                "processes": [
                    {"pid": 1, "role": "master", "rss_kib": 20480, "threads": 1, "cpus": "0"},
                    {"pid": 2, "role": "worker", "rss_kib": 51200, "threads": 1, "cpus": "0"},
                ],
            },
        ],
        "variants": [
            {
                "implementation": "fastapi",
                "target": "fastapi-default-http",
                "title": titles["fastapi-default-http"],
                "what": "no --http",
                "framework_default": True,
                "workloads": ["get"],
            }
        ],
        "claims": report.CLAIMS,
    }


def test_report_renders_from_a_small_bench_json(tmp_path: Path) -> None:
    """Ratios to each stack's baseline, flagged errors, claims labelled, valid SVG."""
    data = fake_bench()
    markdown = report.render_markdown(data)
    assert markdown.startswith("## Benchmark")
    assert "| get one | Flask | 500 | 450-550 | 50% |" in markdown
    assert "| get one | FastAPI | 200 | 180-220 | 25% |" in markdown  # of bare ASGI, not WSGI
    assert "| get one | Django + DRF | 250 | 225-275 | 25% | 2.0 | 5.0 | 3 (flagged) |" in markdown
    assert "claim (articles), JSON endpoint: 15,000-20,000" in markdown
    assert (
        "| FastAPI | SQLite | get one | 200 (180-220) | uvicorn's default protocol | 50 (45-55) "
        "| x4.00 | shipped is faster |"
    ) in markdown
    assert (
        "| FastAPI, uvicorn's default protocol | the framework's or server's default | no --http |"
    ) in markdown
    # The goals, computed: a share of the baseline, and shipped against the defaults.
    assert "| Flask | SQLite | at least 40% of the bare baseline | 50% | reached |" in markdown
    assert "| FastAPI | SQLite | at least 40% of the bare baseline | 25% | not reached |" in (
        markdown
    )
    assert (
        "| FastAPI | SQLite | shipped at least 1.5x the defaults "
        "| x4.00 against FastAPI, uvicorn's default protocol | reached |"
    ) in markdown
    assert (
        "| Flask | SQLite | shipped at least 1.5x the defaults "
        "| x1.00: no variant restoring a default was measured | not reached |"
    ) in markdown
    assert "| SQLite | Flask | 1 | 50.0 | 1 |" in markdown
    assert "A quick run: runs this short" in markdown
    assert "![ratio](bench-ratio.svg)" in markdown

    page = report.render_html(data)
    assert page.startswith('<section id="benchmark">')
    assert page.endswith("</section>")
    assert page.count("<svg") == len(report.charts(data)) == 5
    assert "<td>3 (flagged)</td>" in page

    written = report.write_charts(data, tmp_path)
    assert {path.name for path in written} == {
        f"bench-{name}.svg"
        for name in ("throughput-sqlite", "ratio", "defaults", "memory", "claims")
    }
    for path in written:
        root = ElementTree.fromstring(path.read_text())  # well-formed, standalone
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
    claims = (tmp_path / "bench-claims.svg").read_text()
    assert "claim (articles): JSON endpoint" in claims
    assert "stroke-dasharray" in claims  # claims are drawn hollow, unlike measurements
    assert "goal on get one: 40%" in (tmp_path / "bench-ratio.svg").read_text()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("setting", "expected"), [(None, "wal"), ("DELETE", "delete")])
def test_sqlite_journal_mode(
    name: str, setting: str | None, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each implementation puts SQLite in WAL mode, or in SQLITE_JOURNAL_MODE, which the
    benchmark's rollback-journal variants set to SQLite's default."""
    if setting is None:
        monkeypatch.delenv("SQLITE_JOURNAL_MODE", raising=False)
    else:
        monkeypatch.setenv("SQLITE_JOURNAL_MODE", setting)
    with fresh_database("sqlite") as url:
        make("init-db", name, url)
        path = url.removeprefix("sqlite:///")
        with contextlib.closing(sqlite3.connect(path)) as connection:
            mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
            tables = connection.execute("SELECT name FROM sqlite_master").fetchall()
    assert (mode, ("users",) in tables) == (expected, True)


def test_bare_baselines_read_what_each_orm_stored() -> None:
    """created_at as SQLAlchemy and Django store it on SQLite gives the contract's timestamp."""
    assert bare.timestamp("2026-01-02 03:04:05") == "2026-01-02T03:04:05.000000Z"
    assert bare.timestamp("2026-01-02 03:04:05.120000") == "2026-01-02T03:04:05.120000Z"
