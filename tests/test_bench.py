"""The benchmark's own parts, without load: the bare baselines, the edge, what runs, wrk's
figures, the report.

`python -m bench` compares each implementation with a bare app on the same server; that
comparison only means something if the bare apps answer the very same JSON.
"""

import argparse
import contextlib
import io
import json
import os
import shutil
import socket
import socketserver
import sqlite3
import threading
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import jwt
import psutil
import psycopg
import pytest

from bench import (
    authentication,
    bare,
    conditions,
    cpus,
    databases,
    latency,
    measuring,
    model,
    processes,
    report,
    run,
    servers,
    workloads,
    wrk,
)
from bench.authentication import Tokens
from bench.claims import CLAIMS, LATENCY_CLAIMS
from bench.databases import connect, delay_of, fresh_database, server_of
from bench.measuring import Entry, Measurement, Running, levels
from bench.options import parse_arguments
from bench.targets import (
    behind_the_edge,
    descriptions,
    edge_targets,
    every_target,
    targets,
    variants,
)
from contract_tests.implementations import IMPLEMENTATIONS, ROOT
from contract_tests.servers import (
    POSTGRES_URL,
    PrivateClusterError,
    empty_database,
    make,
    running_server,
)
from tooling.progress import Progress

NAMES = [implementation.name for implementation in IMPLEMENTATIONS]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_bare_baselines_answer_the_same_json(backend: str, tmp_path: Path) -> None:
    """Sign-up, sign-in, get-one and list: the same JSON from each bare baseline as from each
    implementation; the same authentication: the same tokens accepted, the same hashes
    verified, 401 without a token, 403 on another user's row."""
    baselines = [target for target in targets() if target.command is not None]
    assert [target.name for target in baselines] == ["bare-wsgi", "bare-asgi"]
    # Variants with a command of their own serve the same contract on their databases.
    baselines += [
        variant.target
        for variant in variants()
        if variant.target.command is not None and backend in variant.databases
    ]
    # Behind the edge, nginx passes the JSON through untouched.
    baselines.append(behind_the_edge(baselines[1]))  # bare ASGI
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
        # A user signed up through each implementation and each baseline: each stores
        # created_at its own way (on SQLite, Django leaves out a fraction of zero); all must
        # read alike. Each signs in through the next one: every hash verifies everywhere.
        names = list(clients)
        ids, tokens = [], []
        for name, client in clients.items():
            body = {"name": f"Written by {name} é", "email": f"{name}@Example.com",
                    "password": databases.SEED_PASSWORD}  # fmt: skip
            response = client.post("/api/users", json=body)
            assert response.status_code == 201, response.text
            created = response.json()
            assert created["email"] == f"{name}@example.com"
            assert response.headers["location"] == f"/api/users/{created['id']}"
            ids.append(created["id"])
        for index, name in enumerate(names):
            signing_in = clients[names[(index + 1) % len(names)]]
            credentials = {"email": f"{name}@example.com", "password": databases.SEED_PASSWORD}
            response = signing_in.post("/api/tokens", json=credentials)
            assert response.status_code == 200, (name, response.text)
            assert response.json()["token_type"] == "Bearer"
            assert response.json()["expires_in"] == 900
            tokens.append(response.json()["access_token"])
            wrong = signing_in.post("/api/tokens", json=credentials | {"password": "x" * 20})
            assert wrong.status_code == 401, (name, wrong.text)
            assert wrong.headers["www-authenticate"] == "Bearer"
        # The tokens the bench mints for the load: the very claims each one issued (the same
        # revocation fingerprint of the hash it stored), and accepted by every one.
        with connect(url) as connection:
            stored = dict(connection.execute("SELECT id, password_hash FROM users").fetchall())
        now = int(time.time())
        minted = [authentication.mint(identifier, stored[identifier], now) for identifier in ids]
        for name, issued, ours in zip(names, tokens, minted, strict=True):
            theirs = jwt.decode(issued, os.environ["JWT_SECRET"], algorithms=["HS256"])
            expected = jwt.decode(ours, os.environ["JWT_SECRET"], algorithms=["HS256"])
            assert sorted(theirs) == sorted(expected), name
            assert (theirs["sub"], theirs["hash_password"]) == (
                expected["sub"], expected["hash_password"]
            ), name  # fmt: skip
            assert theirs["exp"] - theirs["iat"] == expected["exp"] - expected["iat"] == 900
            assert jwt.get_unverified_header(issued) == jwt.get_unverified_header(ours), name
        for path, params in [
            *((f"/api/users/{identifier}", {}) for identifier in ids),
            ("/api/users", {"limit": 3, "offset": 2}),
            ("/api/users", {}),
            ("/api/users", {"email": "FLASK@example.com"}),
        ]:
            answers = {}
            for index, (name, client) in enumerate(clients.items()):
                # Each with the token another one issued: they accept each other's.
                bearer = {"Authorization": f"Bearer {tokens[index - 1]}"}
                response = client.get(path, params=params, headers=bearer)
                assert response.status_code == 200, (name, response.text)
                assert response.headers["content-type"] == "application/json"
                answers[name] = response.json()
                with_minted = {"Authorization": f"Bearer {minted[index - 2]}"}
                again = client.get(path, params=params, headers=with_minted)
                assert (again.status_code, again.json()) == (200, answers[name]), name
                anonymous = client.get(path, params=params)
                assert anonymous.status_code == 401, (name, anonymous.text)
                assert anonymous.headers["www-authenticate"] == "Bearer"
                forged = client.get(path, params=params, headers={"Authorization": "Bearer x.y.z"})
                assert forged.status_code == 401, (name, forged.text)
                assert forged.headers["www-authenticate"] == 'Bearer error="invalid_token"'
            expected = answers["flask"]
            assert all(answer == expected for answer in answers.values()), answers
        assert answers["flask"]["total"] == 1
        owner = names.index("bare-asgi")
        as_owner = {"Authorization": f"Bearer {tokens[owner]}"}
        path = f"/api/users/{ids[owner]}"
        patched = clients["bare-asgi"].patch(path, json={"name": "Renamed"}, headers=as_owner)
        assert patched.status_code == 200, patched.text
        assert patched.json() == clients["django"].get(path, headers=as_owner).json()
        assert patched.json()["name"] == "Renamed"
        for name in ("bare-wsgi", "bare-asgi"):
            others = clients[name].patch(f"/api/users/{ids[0]}", json={"name": "Not mine"},
                                         headers=as_owner)  # fmt: skip
            assert others.status_code == 403, (name, others.text)


# What the script's done() writes, after wrk's own text report (which is not read).
WRK_OUTPUT = """\
Running 2s test @ http://127.0.0.1:8000
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.10ms    1.20ms  31.02ms   91.20%
  5210 requests in 2.00s, 1.17MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 17
Requests/sec:   2604.87

BENCH_JSON {"requests":5210,"duration_us":2000100,"errors":{"connect":0,"read":3,"write":0,\
"timeout":2,"status":17},"latency_us":{"p50":2950,"p75":3300,"p90":4010,"p99":1020000,\
"p999":1030500,"max":1031020,"mean":3100.5}}
"""


def test_wrk_figures_with_errors() -> None:
    """Rate, exact percentiles, socket errors and non-2xx responses all come from done()."""
    result = wrk.figures(WRK_OUTPUT)
    assert result.requests == 5210
    assert result.duration_s == 2.0
    assert result.requests_per_s == 2604.87  # as wrk computes its Requests/sec
    assert result.latency_ms == {
        "p50": 2.95, "p75": 3.3, "p90": 4.01, "p99": 1020.0, "p999": 1030.5, "max": 1031.02,
        "mean": 3.1,
    }  # fmt: skip
    assert result.non_2xx == 17
    assert result.socket_errors == {"connect": 0, "read": 3, "write": 0, "timeout": 2}
    assert result.errors == 22
    stored = asdict(result)  # as bench.json keeps each repetition
    assert stored["errors"] == 22
    assert model.WrkRun.from_json(stored) == result


def test_wrk_figures_without_errors() -> None:
    """Zero errors of every kind mean no errors, whatever wrk's text says around them."""
    clean = WRK_OUTPUT.replace('"read":3', '"read":0').replace('"timeout":2', '"timeout":0')
    clean = clean.replace('"status":17', '"status":0')
    result = wrk.figures(clean)
    assert result.errors == 0
    assert result.non_2xx == 0
    assert result.latency_ms["p999"] == 1030.5


def test_wrk_refuses_other_output() -> None:
    """A wrk that failed to run is not read as a run with no requests."""
    with pytest.raises(ValueError, match="no figures"):
        wrk.figures("unable to connect to 127.0.0.1:1 Connection refused\n")


class HalfFailing(BaseHTTPRequestHandler):
    """200 for an even user id, 503 for an odd one."""

    protocol_version = "HTTP/1.1"  # keep-alive, as wrk expects
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        """Answer a get-one request."""
        identifier = int(self.path.rsplit("/", 1)[1])
        body = b"{}"
        self.send_response(503 if identifier % 2 else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *arguments: Any) -> None:
        """Keep the test's output quiet."""


class QuietServer(ThreadingHTTPServer):
    """A test server that ignores wrk closing its connections at the end of the run."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore a reset connection."""


@pytest.mark.skipif(
    shutil.which(wrk.WRK) is None or cpus.WRK_CPU not in os.sched_getaffinity(0),
    reason="needs wrk (apt-get install wrk) and a second CPU",
)
def test_wrk_reports_its_figures_through_the_script() -> None:
    """A real wrk run: the Lua done() callback writes every figure, the errors by kind."""
    server = QuietServer(("127.0.0.1", 0), HalfFailing)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        requests = workloads.lua_script("get", users=100, nonce="test", tokens=fake_tokens(100))
        result = wrk.run(url, requests, seconds=1, connections=2)
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
    assert result.requests > 0
    assert 0 < result.non_2xx < result.requests  # the odd ids, counted as wrk counts them
    assert result.socket_errors == {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    assert result.errors == result.non_2xx
    assert list(result.latency_ms) == ["p50", "p75", "p90", "p99", "p999", "max", "mean"]
    assert 0 < result.latency_ms["p50"] <= result.latency_ms["p99"] <= result.latency_ms["max"]
    assert result.requests_per_s == pytest.approx(result.requests / result.duration_s, rel=0.01)


def test_wrk_script_reports_after_the_marker() -> None:
    """The whole script is the workload's requests, then the callback that writes MARKER."""
    requests = workloads.lua_script("mix", users=1000, nonce="abc", tokens=fake_tokens(1000))
    script = wrk.script(requests)
    assert script.startswith(requests)
    assert "done = function(summary, latency, requests)" in script
    assert f"'\\n{wrk.MARKER}{{" in script


@pytest.mark.parametrize("workload", sorted(workloads.REQUESTS))
def test_lua_scripts_are_filled_in(workload: str) -> None:
    """Each workload's script sends its own requests, over users 1..N, with their tokens."""
    script = workloads.lua_script(workload, users=1000, nonce="abc", tokens=fake_tokens(1000))
    assert f"request = {workloads.REQUESTS[workload]}\n" in script
    assert "local users = 1000\n" in script
    assert '("token-1 token-2 token-3 ' in script
    assert "{users}" not in script
    assert "{nonce}" not in script
    with pytest.raises(ValueError, match="expected 1000 tokens"):
        workloads.lua_script(workload, users=1000, nonce="abc", tokens=fake_tokens(999))


def fake_tokens(users: int) -> list[str]:
    """A stand-in token for each of users 1..users, naming its user."""
    return [f"token-{number}" for number in range(1, users + 1)]


class Recording(BaseHTTPRequestHandler):
    """Answers 200 to anything, and records each request: method, path, Authorization, body."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    seen: ClassVar[list[tuple[str, str, str | None, bytes]]] = []

    def answer(self) -> None:
        """Record the request and answer it."""
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append((self.command, self.path, self.headers.get("Authorization"), body))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def do_GET(self) -> None:
        """Record a read."""
        self.answer()

    def do_POST(self) -> None:
        """Record a sign-up or a sign-in."""
        self.answer()

    def do_PATCH(self) -> None:
        """Record an update."""
        self.answer()

    def log_message(self, format: str, *arguments: Any) -> None:
        """Keep the test's output quiet."""


@pytest.mark.skipif(
    shutil.which(wrk.WRK) is None or cpus.WRK_CPU not in os.sched_getaffinity(0),
    reason="needs wrk (apt-get install wrk) and a second CPU",
)
def test_every_request_that_needs_a_token_carries_the_right_one() -> None:
    """Under wrk, the mix reads with a random user's bearer token and changes a row with its
    owner's; sign-up sends a password and no token; sign-in one user's credentials."""
    server = QuietServer(("127.0.0.1", 0), Recording)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    Recording.seen = seen = []
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        for workload in ("mix", "token"):
            script = workloads.lua_script(workload, users=40, nonce="n", tokens=fake_tokens(40))
            assert wrk.run(url, script, seconds=1, connections=2).errors == 0
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
    kinds = set()
    for method, path, authorization, body in seen:
        if method == "GET":
            kinds.add("list" if path.startswith("/api/users?") else "get")
            assert authorization in {f"Bearer token-{number}" for number in range(1, 41)}
        elif method == "PATCH":
            kinds.add("update")
            assert authorization == f"Bearer token-{path.rsplit('/', 1)[1]}"
        elif path == "/api/users":
            kinds.add("create")
            assert authorization is None
            assert json.loads(body)["password"] == databases.SEED_PASSWORD
        else:
            kinds.add("token")
            assert (method, path, authorization) == ("POST", "/api/tokens", None)
            assert json.loads(body) == {"email": "user1@bench.example",
                                        "password": databases.SEED_PASSWORD}  # fmt: skip
    assert kinds == {"get", "list", "create", "update", "token"}


def summary(rps: float, errors: int = 0) -> dict[str, Any]:
    """One result's summary, as bench.json stores it."""
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
        "machine": {
            "cpu_model": "Test CPU",
            "cpus": 2,
            "kernel": "6.1.0",
            "load_average_at_start": [1.0, 1.0, 1.0],
            "commit": "abc1234",
            "load_average_at_end": [1.5, 1.0, 1.0],
        },
        "versions": {"python": "3.11.7", "wrk": "wrk 4.1.0"},
        "finished": "2026-11-21T12:01:40+00:00",
        "elapsed_s": 100.0,
        "method": {
            "load_generator": "wrk, 1 thread, pinned to CPU 1 (taskset)",
            "duration_s": 1,
            "warmup_s": 1,
            "workload_warmup_s": 0,
            "repetitions": 3,
            "connections": 8,
            "timeout_s": 10,
            "users": 1000,
            "mix_percent": workloads.MIX,
            "workloads": workloads.DESCRIPTIONS,
            "reset": "after every run that writes",
            "order": "in turns",
            "WEB_CONCURRENCY": 2,
        },
        "server_settings": {
            "WEB_CONCURRENCY": 2,
            "commands": {"flask": "gunicorn --config impl_flask/gunicorn.conf.py"},
            "variant_env": {},
            "gunicorn_config": {"flask": "workers = 2"},
            "server_cpu": 0,
            "wrk_cpu": 1,
            "postgresql": "not pinned",
        },
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
                    {
                        "pid": 1,
                        "role": "master",
                        "rss_kib": 20480,
                        "threads": 1,
                        "cpus": "0",
                        "command": "gunicorn",
                    },
                    {
                        "pid": 2,
                        "role": "worker",
                        "rss_kib": 51200,
                        "threads": 1,
                        "cpus": "0",
                        "command": "gunicorn",
                    },
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
        "claims": [asdict(claim, dict_factory=model.json_object) for claim in CLAIMS],
    }


def test_report_renders_from_a_small_bench_json(tmp_path: Path) -> None:
    """Ratios to each stack's baseline, flagged errors, claims labelled, valid SVG."""
    data = model.BenchResults.from_json(fake_bench())
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
    assert "edge" not in markdown  # nothing ran behind the edge: no table, chart or paragraph

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


def test_the_committed_bench_json_reads_and_writes_back_unchanged(tmp_path: Path) -> None:
    """docs/benchmark/bench.json through the dataclasses and back: the same bytes; and the
    report drawn from it is the one committed beside it."""
    committed = ROOT / "docs" / "benchmark" / "bench.json"
    data = model.load(committed)
    assert isinstance(data.results[0].repetitions[0], model.WrkRun)
    model.save(data, tmp_path / "bench.json")
    assert (tmp_path / "bench.json").read_text() == committed.read_text()
    for path in report.write_charts(data, tmp_path):
        assert path.read_text() == (committed.parent / path.name).read_text(), path.name
    assert report.render_markdown(data).startswith("## Benchmark")


def test_a_small_bench_json_reads_and_writes_back_unchanged() -> None:
    """The fake above, through the dataclasses and back."""
    assert model.BenchResults.from_json(fake_bench()).to_json() == fake_bench()


def process(pid: int, role: str, rss_mib: int, command: str) -> dict[str, Any]:
    """One process of a memory reading, on CPU 0."""
    return {"pid": pid, "role": role, "rss_kib": rss_mib * 1024, "threads": 1, "cpus": "0",
            "command": command}  # fmt: skip


def fake_bench_with_the_edge() -> dict[str, Any]:
    """The small bench.json, with Flask and bare WSGI behind the edge, and Flask's sync
    workers behind it too (beside Flask behind the edge, shipped with gthread)."""
    data = fake_bench()
    data["results"] += [
        {"database": "sqlite", "target": name, "workload": "get", "role": role} | summary(rate)
        for name, role, rate in [
            ("bare-wsgi-edge", "edge", 900),
            ("flask-edge", "edge", 400),
            ("flask-sync-edge", "variant", 440),
        ]
    ]
    for name, title, upstream in [
        ("bare-wsgi-edge", "bare WSGI, behind the edge", "bare-wsgi"),
        ("flask-edge", "Flask, behind the edge", "flask-behind-edge"),
        ("flask-behind-edge", "Flask", None),
        ("flask-sync-edge", "Flask, gunicorn sync, behind the edge", "flask"),
    ]:
        data["targets"][name] = {"title": title, "stack": "wsgi", "baseline": False}
        data["targets"][name] |= {"upstream": upstream} if upstream else {}
    data["variants"].append(
        {
            "implementation": "flask",
            "target": "flask-sync-edge",
            "title": "Flask, gunicorn sync, behind the edge",
            "what": "sync behind the edge",
            "framework_default": True,
            "workloads": ["get"],
            "against": "flask-edge",
        }
    )
    edge = [process(3, "edge master", 6, "nginx: master process"),
            process(4, "edge worker", 4, "nginx: worker process"),
            process(5, "edge worker", 5, "nginx: worker process")]  # fmt: skip
    data["memory"].append(
        {"database": "sqlite", "target": "flask-edge", "role": "edge",
         "processes": [*edge, *data["memory"][0]["processes"]]}
    )  # fmt: skip
    data["server_settings"]["edge_config"] = {"nginx.conf": "worker_processes auto;"}
    return data


def test_report_says_what_the_edge_costs(tmp_path: Path) -> None:
    """Each server alone against behind the edge, rate and latency; sync behind the edge set
    beside the shipped gthread behind the edge; nginx's memory and CPUs apart from the
    workers'."""
    data = model.BenchResults.from_json(fake_bench_with_the_edge())
    assert data.to_json() == fake_bench_with_the_edge()
    markdown = report.render_markdown(data)
    assert "Behind the edge, each implementation ran as `make edge` runs it" in markdown
    assert "in front of the very server measured alone: the same processes, on the" in markdown
    edge_rows = [line for line in markdown.splitlines() if line.startswith("| SQLite | get one |")]
    assert edge_rows == [
        "| SQLite | get one | bare WSGI | 1,000 (900-1,100) | 900 (810-990) | 90% "
        "| 2.0 / 2.0 | 5.0 / 5.0 | 0 |",
        "| SQLite | get one | Flask | 500 (450-550) | 400 (360-440) | 80% "
        "| 2.0 / 2.0 | 5.0 / 5.0 | 0 |",
    ]  # a variant behind the edge is set beside the shipped edge, not its server: no row
    assert (
        "| Flask, behind the edge | SQLite | get one | 400 (360-440) "
        "| gunicorn sync, behind the edge | 440 (396-484) | x0.91 | within the spread |"
    ) in markdown
    # nginx's processes are not the server's workers, and are shown on their own.
    assert "| SQLite | Flask | 1 | 50.0 | 1 |" in markdown
    assert "| SQLite | Flask | master 6.0, worker 4.0, worker 5.0 | 15.0 | 0 | 0 |" in markdown

    drawings = report.charts(data)
    assert list(drawings) == [
        "throughput-sqlite", "ratio", "edge", "defaults", "memory", "claims",
    ]  # fmt: skip
    assert "Behind the edge (nginx), as % of the same server alone" in drawings["edge"]
    assert ">80 %</text>" in drawings["edge"]
    assert ">90 %</text>" in drawings["edge"]
    assert "Flask, behind the edge, SQLite, get one" in drawings["defaults"]
    for path in report.write_charts(data, tmp_path):
        ElementTree.fromstring(path.read_text())  # well-formed, standalone


def fake_bench_with_sign_in() -> dict[str, Any]:
    """The small bench.json of a run that signed in: sign-in on the five targets, with the
    servers' CPU time, and the parameters and cost of one hash alone."""
    data = fake_bench()
    data["method"]["authentication"] = "a token per user"
    for name, rate, cpu in [("bare-wsgi", 40, 26.0), ("flask", 36, 28.5), ("django", 33, 30.0),
                            ("bare-asgi", 39, 26.5), ("fastapi", 30, 32.5)]:  # fmt: skip
        data["results"].append(
            {"database": "sqlite", "target": name, "workload": "token", "role": "shipped"}
            | summary(rate)
            | {"server_cpu_s_per_1000": cpu}
        )
    data["password_hashing"] = {
        "memory_cost_kib": 19456, "time_cost": 2, "parallelism": 1,
        "read_from": "every stored hash", "hashes": 25, "hash_ms": 26.0, "hash_cpu_ms": 26.0,
    }  # fmt: skip
    return data


def test_the_report_says_what_signing_in_costs() -> None:
    """Sign-in among the workloads, against each stack's baseline; its own table: the
    servers' CPU per request beside one hash alone with the parameters they hashed with."""
    data = model.BenchResults.from_json(fake_bench_with_sign_in())
    assert data.to_json() == fake_bench_with_sign_in()
    assert data.password_hashing is not None
    assert data.password_hashing.memory_cost_kib == 19456
    markdown = report.render_markdown(data)
    assert "| sign in | Flask | 36 | 32-40 | 90% |" in markdown  # of bare WSGI's 40
    assert "Signing in: a token per user. The bare baselines do the same" in markdown
    assert (
        "the servers hashed with m=19456 KiB, t=2, p=1 (read from every stored hash), and one "
        "such hash alone took 26.0 ms (26.0 ms of CPU; median of 25"
    ) in markdown
    assert "no more than 38 sign-ins a second" in markdown
    assert (
        "**Sign-up and sign-in: one argon2id hash each, m=19456 KiB, t=2, p=1; one hash alone "
        "26.0 ms (26.0 ms CPU, median of 25)**"
    ) in markdown
    assert "| SQLite | sign in | FastAPI | 30.0 (27.0-33.0) | 2.0 | 5.0 | 32.50 | 80% | 0 |" in (
        markdown
    )
    assert "| SQLite | sign in | bare WSGI | 40.0 (36.0-44.0) | 2.0 | 5.0 | 26.00 | 100% |" in (
        markdown
    )
    older = report.render_markdown(model.BenchResults.from_json(fake_bench()))
    assert "Signing in" not in older
    assert "Sign-up and sign-in" not in older


def test_an_older_bench_json_without_the_later_keys() -> None:
    """Files from before the commit, the load at the end, the variants and the claims were
    recorded still read: the report says '?' and shows today's claims."""
    older = fake_bench()
    del older["variants"], older["claims"]
    del older["machine"]["commit"], older["machine"]["load_average_at_end"]
    data = model.BenchResults.from_json(older)
    assert (data.variants, data.claims, data.machine.commit) == ([], None, None)
    assert data.to_json() == older | {"variants": []}  # written back as no variants
    markdown = report.render_markdown(data)
    assert "commit ?," in markdown
    assert "claim (articles), JSON endpoint: 15,000-20,000" in markdown
    assert "shipped / other" in markdown  # the defaults table, with no rows
    assert "![defaults]" not in markdown


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("machine", lambda machine: machine.pop("cpus")),
        ("machine", lambda machine: machine.update(cores=2)),
        ("method", lambda method: method.pop("WEB_CONCURRENCY")),
    ],
)
def test_bench_json_with_a_key_missing_or_unknown_is_refused(where: str, change: Any) -> None:
    """A file of another shape fails on reading, not halfway through drawing the report."""
    data = fake_bench()
    change(data[where])
    with pytest.raises(TypeError):
        model.BenchResults.from_json(data)


def test_cpu_lists_are_written_as_linux_writes_them() -> None:
    """CPU numbers as /proc/PID/status lists them: ranges, and singles."""
    assert processes.cpu_list([0]) == "0"
    assert processes.cpu_list([1, 0]) == "0-1"
    assert processes.cpu_list([0, 1, 2, 5, 7, 8]) == "0-2,5,7-8"


def test_server_processes_are_the_master_and_its_workers(tmp_path: Path) -> None:
    """psutil finds every process listening on a server's port: gunicorn's master and its
    two workers, with their memory, threads, CPUs and command lines."""
    (bare_wsgi,) = [target for target in targets() if target.name == "bare-wsgi"]
    with (
        empty_database("sqlite", tmp_path, "bench_test") as url,
        servers.started(bare_wsgi, url, workers=2) as base_url,
    ):
        found = processes.server_processes(processes.port_of(base_url))
    assert sorted(process.role for process in found) == ["master", "worker", "worker"]
    for process in found:
        assert process.rss_kib > 1024
        assert process.threads >= 1
        assert process.cpus == processes.cpu_list(sorted(os.sched_getaffinity(0)))
        assert "gunicorn" in process.command
        assert "bench.bare_wsgi:application" in process.command


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


def test_every_target_has_the_edge_in_front_of_its_server() -> None:
    """Behind the edge, a target is nginx in front of the very server measured alone, and
    nothing else; what differs from `make serve` in a variant's environment is recorded."""
    shipped = targets()
    edge = edge_targets()
    assert [target.name for target in edge] == [f"{target.name}-edge" for target in shipped]
    for alone, behind in zip(shipped, edge, strict=True):
        assert (behind.stack, behind.impl, behind.command, behind.env) == (alone.stack, None,
                                                                           None, ())  # fmt: skip
        assert behind.server == alone
    described = descriptions()
    assert described["flask-edge"].upstream == "flask"
    assert not described["bare-wsgi-edge"].baseline  # the baseline is the server alone
    assert described["bare-wsgi"].baseline
    settings = conditions.server_settings(parse_arguments([]))
    for variant in variants():
        assert settings.variant_env.get(variant.target.name, {}) == dict(variant.target.env)
    assert not set(settings.variant_env) & {target.name for target in edge}
    assert settings.commands["edge"].endswith("-c {folder}/nginx.conf -e stderr -g daemon off;")
    assert "worker_processes auto;" in (settings.edge_config or {})["nginx.conf"]
    assert "proxy_request_buffering on;" in (settings.edge_config or {})["edge.conf"]
    assert (settings.delay_proxy or "").endswith(
        "-m bench.delay_proxy --upstream {host}:{port} --delay-ms 1"
    )
    assert (
        conditions.server_settings(parse_arguments(["--databases", "sqlite"])).delay_proxy is None
    )


def chosen_entries(argv: list[str], database: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """(target, role, workloads) of what `python -m bench ARGV` runs on a database."""
    options = parse_arguments(argv)
    return [
        (entry.target.name, entry.role, entry.workloads)
        for entry in run.entries(database, *run.selection(options), options)
    ]


def test_targets_are_chosen_by_name_or_pattern() -> None:
    """--targets names exactly what runs, or matches names as the shell would ('flask*');
    a name that matches nothing is refused."""
    mixed = next(variant.target.name for variant in variants()
                 if variant.implementation == "flask" and "mix" in variant.workloads
                 and "postgresql" in variant.databases)  # fmt: skip
    focused = ["--targets", "flask", "flask-edge", mixed, "--workloads", "get", "mix"]
    assert chosen_entries(focused, "postgresql") == [
        ("flask", "shipped", ("get", "mix")),
        ("flask-edge", "edge", ("get", "mix")),
        (mixed, "variant", ("get", "mix")),
    ]
    not_on_sqlite = {variant.target.name for variant in variants()
                     if "sqlite" not in variant.databases}  # fmt: skip
    assert "fastapi-async" in not_on_sqlite
    # The full mode runs the targets behind the edge on PostgreSQL only.
    not_on_sqlite |= {target.name for target in edge_targets()}
    assert {name for name, _, _ in chosen_entries(["--targets", "flask*"], "sqlite")} == {
        target.name for target in every_target()
        if target.name.startswith("flask") and target.name not in not_on_sqlite
    }  # fmt: skip
    everything = [name for name, _, _ in chosen_entries([], "sqlite")]
    assert everything == [  # every target but the variants and the edge on PostgreSQL only
        target.name for target in every_target() if target.name not in not_on_sqlite
    ]
    assert chosen_entries(["--targets", "flask", "--edge-databases", "sqlite"], "postgresql") == [
        ("flask", "shipped", tuple(workloads.WORKLOADS))
    ]
    with pytest.raises(SystemExit):
        parse_arguments(["--targets", "flask-nginx"])


def test_quick_mode_puts_the_implementations_behind_the_edge_and_the_database_away() -> None:
    """--quick: on SQLite the five targets alone; on PostgreSQL the three implementations
    behind the edge too, and the variants; behind the delay proxy the same but the variants;
    get one and mix at 64 connections, and sign-in but behind the delay proxy; not the bare
    baselines behind the edge, unless named."""
    options = parse_arguments(["--quick"])
    assert options.databases == ["sqlite", "postgresql", "postgresql-1ms"]
    assert (options.connections, options.delayed_workloads) == ([64], ["get", "mix"])
    assert [role for _, role, _ in chosen_entries(["--quick"], "sqlite")] == ["shipped"] * 5
    on_postgresql = chosen_entries(["--quick"], "postgresql")
    assert [name for name, role, _ in on_postgresql if role == "edge"] == [
        "flask-edge", "django-edge", "fastapi-edge",
    ]  # fmt: skip
    assert ("fastapi-async", "variant", ("get",)) in on_postgresql
    assert {taken for _, role, taken in on_postgresql if role != "variant"} == {
        ("get", "mix", "token")
    }
    delayed = chosen_entries(["--quick"], "postgresql-1ms")
    assert delayed == [(name, role, ("get", "mix")) for name, role, _ in on_postgresql
                       if role != "variant"]  # fmt: skip
    # Sign-in, a hash a request, at no more than 2 connections: at 64, the server's threads
    # would share its core among so many hashes that none would end within a 1 s run.
    assert [levels(options, "postgresql", name) for name in ("get", "token")] == [[64], [2]]
    assert levels(parse_arguments(["--connections", "1", "64"]), "sqlite", "create") == [1]
    named = ["--quick", "--targets", "bare-wsgi-edge"]
    assert [name for name, _, _ in chosen_entries(named, "postgresql")] == ["bare-wsgi-edge"]
    assert chosen_entries(["--targets", "flask*", "--skip", "*-edge"], "sqlite")[0][0] == "flask"


def test_the_database_latency_and_the_connection_levels_are_options() -> None:
    """The delayed database is named after --delay-ms ('postgresql-delayed' on the command
    line, or 'postgresql-<delay>ms' itself); it runs --delayed-workloads only, and the
    variants of PostgreSQL, not SQLite's; --connections takes several levels, and the levels
    beyond the first load PostgreSQL only, with the delayed workloads."""
    full = parse_arguments([])
    assert full.databases == ["sqlite", "postgresql", "postgresql-1ms"]
    assert full.variant_databases == full.databases
    assert full.edge_databases == ["postgresql", "postgresql-1ms"]
    assert (full.connections, full.delayed_workloads, full.delay_ms) == (
        [8, 64], ["get", "mix"], 1.0,
    )  # fmt: skip
    custom = parse_arguments(["--delay-ms", "2.5", "--connections", "64", "16", "64"])
    assert (custom.databases[-1], custom.connections) == ("postgresql-2.5ms", [16, 64])
    named = ["--databases", "postgresql", "postgresql-5ms", "--edge-databases",
             "postgresql-delayed"]  # fmt: skip
    options = parse_arguments(named)
    assert (options.databases, options.edge_databases) == (
        ["postgresql", "postgresql-5ms"], ["postgresql-5ms"],
    )  # fmt: skip
    assert (delay_of("postgresql-5ms"), delay_of("postgresql"), server_of("postgresql-5ms")) == (
        5.0, None, "postgresql",
    )  # fmt: skip
    assert [levels(full, database, "get") for database in full.databases] == [[8], [8, 64], [64]]
    assert [levels(full, database, "list") for database in full.databases] == [[8], [8], [8]]
    for wrong in (["--databases", "mysql"], ["--databases", "postgresql-fast"],
                  ["--connections", "0"], ["--delay-ms", "-1"],
                  ["--delayed-workloads", "delete"]):  # fmt: skip
        with pytest.raises(SystemExit):
            parse_arguments(wrong)
    delayed = chosen_entries(["--delayed-workloads", "get"], "postgresql-1ms")
    assert {taken for _, _, taken in delayed} == {("get",)}
    names = {name for name, _, _ in delayed}
    assert {"flask", "flask-edge", "fastapi-async"} <= names
    assert not any(name.endswith("-rollback-journal") for name in names)  # SQLite's
    assert chosen_entries(["--workloads", "get", "--delayed-workloads", "list"],
                          "postgresql-1ms") == []  # fmt: skip
    assert {taken for _, _, taken in chosen_entries([], "postgresql-1ms")} >= {("get", "mix")}


@pytest.mark.skipif(
    not Path(servers.NGINX).exists() or cpus.SERVER_CPU not in os.sched_getaffinity(0),
    reason="needs nginx (apt-get install nginx) and the server's CPU",
)
def test_the_edge_runs_in_front_of_the_same_server_and_its_processes_are_read() -> None:
    """Behind the edge, nginx is in front of the very server loaded alone (same processes,
    same database), on the server's CPU, which it inherits as the servers do; its processes
    are read with the server's, in roles of their own."""
    (alone,) = [target for target in targets() if target.name == "bare-wsgi"]
    behind = behind_the_edge(alone)
    measurement = Measurement(argparse.Namespace(workers=2), Progress(io.StringIO()))
    everywhere = os.sched_getaffinity(0)
    with ExitStack() as stack:
        started: dict[str, Any] = {}
        os.sched_setaffinity(0, {cpus.SERVER_CPU})  # as python -m bench starts the servers
        try:
            edge = measurement.start(stack, "sqlite", behind, started)
            server = measurement.start(stack, "sqlite", alone, started)
        finally:
            os.sched_setaffinity(0, everywhere)
        assert server.base_url == edge.server_url != edge.base_url
        assert server.database_url == edge.database_url
        with httpx.Client(base_url=edge.base_url, timeout=30) as client:
            credentials = {"email": "e@example.com", "password": databases.SEED_PASSWORD}
            created = client.post("/api/users", json={"name": "Edge"} | credentials)
            assert created.status_code == 201, created.text
            path = created.headers["location"]
            token = client.post("/api/tokens", json=credentials).json()["access_token"]
            bearer = {"Authorization": f"Bearer {token}"}
            read = httpx.get(server.base_url + path, headers=bearer).json()
            assert client.get(path, headers=bearer).json() == read
            # An oversized body is nginx's to refuse: gthread's reset never reaches a client.
            oversized = client.post("/api/users", content=b"{" + b" " * 70_000 + b"}",
                                    headers={"Content-Type": "application/json"})  # fmt: skip
            assert oversized.status_code == 413
            assert oversized.headers["content-type"] == "application/problem+json"
        measurement.read_memory(Entry(behind, ("get",), "edge", "sqlite"), edge)
    (reading,) = measurement.memory
    roles = [process.role for process in reading.processes]
    assert roles.count("edge master") == roles.count("master") == 1
    assert roles.count("worker") == 2
    assert roles.count("edge worker") >= 1  # worker_processes auto: one per CPU online
    for found in reading.processes:
        assert ("nginx" if found.role.startswith("edge") else "gunicorn") in found.command
        assert found.cpus == str(cpus.SERVER_CPU)


@contextmanager
def echo_server() -> Iterator[int]:
    """A TCP server on loopback that sends back every chunk it receives; yield its port."""

    class Echo(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            while data := self.request.recv(65536):
                self.request.sendall(data)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def exchange(port: int, messages: list[bytes]) -> list[float]:
    """Send each message on one new connection, each once the previous one came back; the
    seconds each took to come back whole."""
    times = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        for message in messages:
            started = time.perf_counter()
            connection.sendall(message)
            received = b""
            while len(received) < len(message):
                received += connection.recv(65536)
            times.append(time.perf_counter() - started)
            assert received == message
    return times


@contextmanager
def proxied_echo(delay_ms: float) -> Iterator[latency.Proxy]:
    """A delay proxy, started as the bench starts one, in front of an echo server."""
    with echo_server() as port, latency.proxy_in_front(f"postgresql://u@127.0.0.1:{port}/d",
                                                       delay_ms) as proxy:  # fmt: skip
        yield proxy


def test_the_delay_proxy_delays_and_counts_round_trips_and_connections() -> None:
    """Every exchange through the proxy takes at least the delay each way, a new connection's
    first one a handshake's round trip more; it counts each exchange and each connection it
    opens upstream, and zeroes them on reset."""
    delay = 0.02  # seconds each way
    with proxied_echo(delay * 1000) as proxy:
        assert proxy.url("postgresql://user@127.0.0.1:5432/bench_x") == (
            f"postgresql://user@127.0.0.1:{proxy.port}/bench_x"
        )
        first, *others = exchange(proxy.port, [b"SELECT 1", b"BEGIN", b"x" * 100_000])
        assert first >= 4 * delay  # the handshake's round trip, then the exchange's
        assert all(seconds >= 2 * delay for seconds in others)
        assert max(first, *others) < 2  # (a bound far above what the delay explains)
        exchange(proxy.port, [b"second connection"])
        assert proxy.counters() == {"connections": 2, "round_trips": 4}
        assert proxy.counters(reset=True) == {"connections": 2, "round_trips": 4}
        assert proxy.counters() == {"connections": 0, "round_trips": 0}
        exchange(proxy.port, [b"a", b"b"])
        assert proxy.counters() == {"connections": 1, "round_trips": 2}


def test_the_delay_proxy_keeps_the_order_of_what_crosses_it() -> None:
    """Chunks sent one after another without waiting come out in the order they went in."""
    chunks = [f"{number:04d};".encode() for number in range(200)]
    with proxied_echo(5) as proxy, socket.create_connection(("127.0.0.1", proxy.port)) as client:
        for chunk in chunks:
            client.sendall(chunk)
            time.sleep(0.0005)  # separate chunks, most of them, not one
        expected = b"".join(chunks)
        received = b""
        client.settimeout(10)
        while len(received) < len(expected):
            received += client.recv(65536)
    assert received == expected


@pytest.mark.skipif(len(cpus.EVERY_CPU) < 2, reason="needs two CPUs")
def test_the_delay_proxy_runs_unpinned_and_stops_with_its_target() -> None:
    """The bench pins itself and its servers to the servers' CPU; the proxy, as PostgreSQL,
    runs on every CPU. It stops when its target stops, even when the target fails."""
    started: list[tuple[int, list[int], list[str]]] = []  # pid, CPUs, command line

    def a_target_failing() -> None:
        with proxied_echo(1) as proxy:
            process = psutil.Process(proxy.pid)
            started.append((proxy.pid, process.cpu_affinity(), process.cmdline()))
            raise RuntimeError("a target failing")

    everywhere = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpus.SERVER_CPU})  # as python -m bench starts the targets
    try:
        with pytest.raises(RuntimeError, match="a target failing"):
            a_target_failing()
    finally:
        os.sched_setaffinity(0, everywhere)
    ((pid, cpus_allowed, command),) = started
    assert cpus_allowed == cpus.EVERY_CPU != [cpus.SERVER_CPU]
    assert command[1:3] == ["-m", "bench.delay_proxy"]
    assert not psutil.pid_exists(pid)


def test_a_run_records_the_servers_cpu_and_what_the_proxy_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The proxy's counters are zeroed just before wrk runs and read just after: what
    crossed before is not counted; the server's processes' CPU time is read around it."""
    with proxied_echo(0) as proxy, socket.create_server(("127.0.0.1", 0)) as listener:
        # The "server" is this very process, listening: its CPU time is what is read.
        running = Running(f"http://127.0.0.1:{listener.getsockname()[1]}", "unused", proxy=proxy)
        exchange(proxy.port, [b"before the run"] * 3)

        def load(self: Measurement, loaded: Running, workload: str, seconds: int,
                 connections: int) -> model.WrkRun:  # fmt: skip
            assert (loaded, workload, seconds, connections) == (running, "get", 1, 64)
            exchange(proxy.port, [b"during the run"] * 5)
            deadline = time.process_time() + 0.05
            while time.process_time() < deadline:  # some CPU time for the server to spend
                pass
            return wrk.figures(WRK_OUTPUT)

        monkeypatch.setattr(Measurement, "load", load)
        measurement = Measurement(argparse.Namespace(duration=1), Progress(io.StringIO()))
        measurement.tokens["unused"] = Tokens(("token-1",), time.time() + 900)  # still fresh
        measured = measurement.measured_load(running, "get", 64)
    assert (measured.db_round_trips, measured.db_connections) == (5, 1)
    assert (measured.server_cpu_s or 0) >= 0.04
    assert measured.proxy_cpu_s is not None
    assert measured.proxy_cpu_s >= 0
    assert (measured.requests, measured.errors) == (5210, 22)  # wrk's figures, unchanged


def repetition(requests: int, cpu_s: float | None, round_trips: int | None = None,
               connections: int | None = None) -> model.WrkRun:  # fmt: skip
    """One repetition of 1 s, with the figures read around it."""
    return model.WrkRun(
        requests=requests, duration_s=1.0, requests_per_s=requests, non_2xx=0,
        socket_errors={"connect": 0, "read": 0, "write": 0, "timeout": 0},
        latency_ms={"p50": 2.0, "p99": 5.0}, server_cpu_s=cpu_s, db_round_trips=round_trips,
        db_connections=connections, proxy_cpu_s=None if round_trips is None else 0.25,
    )  # fmt: skip


def test_a_summary_has_cpu_per_request_and_what_was_counted_per_request() -> None:
    """CPU seconds per 1,000 requests: the repetitions' median; round trips per request and
    new connections per 1,000 requests: the repetitions' totals; None where not read."""
    entry = Entry(targets()[1], ("get",), "shipped", "postgresql-1ms")
    runs = [repetition(1000, 2.0, 4000, 0), repetition(500, 1.5, 2100, 1),
            repetition(2000, 2.0, 8100, 2)]  # fmt: skip
    summary = measuring.summarize(entry, "get", runs, 64, group=2)
    assert (summary.connections, summary.group) == (64, 2)
    assert summary.server_cpu_s_per_1000 == 2.0  # of 2.0, 3.0 and 1.0
    assert summary.db_round_trips_per_request == round(14200 / 3500, 2)
    assert summary.db_connections_per_1000 == round(3 / 3500 * 1000, 2)
    direct = measuring.summarize(replace(entry, database="postgresql"), "get",
                                 [repetition(1000, 2.0)] * 3, 64)  # fmt: skip
    assert (summary.database, direct.database, direct.server_cpu_s_per_1000) == (
        "postgresql-1ms", "postgresql", 2.0,
    )  # fmt: skip
    assert (direct.db_round_trips_per_request, direct.db_connections_per_1000) == (None, None)
    lost = measuring.summarize(entry, "get", [repetition(1000, None)] * 3, 64)
    assert lost.server_cpu_s_per_1000 is None  # a process went away: not read, not guessed
    stored = asdict(direct, dict_factory=model.json_object)
    assert "db_round_trips_per_request" not in stored  # left out of bench.json, as None


def latency_result(database: str, target: str, rate: float, cpu: float, errors: int = 0,
                   counted: tuple[float, float] | None = None) -> dict[str, Any]:  # fmt: skip
    """One result at 64 connections, as bench.json stores it; counted: round trips per
    request and new connections per 1,000, behind the delay proxy."""
    found = {"database": database, "target": target, "workload": "get", "role": "shipped",
             "connections": 64, "group": 1} | summary(rate, errors)  # fmt: skip
    found["server_cpu_s_per_1000"] = cpu
    if counted:
        found["db_round_trips_per_request"], found["db_connections_per_1000"] = counted
    stored = asdict(repetition(int(rate), cpu * rate / 1000, 4 * int(rate), 1),
                    dict_factory=model.json_object)  # fmt: skip
    if not counted:
        del stored["db_round_trips"], stored["db_connections"], stored["proxy_cpu_s"]
    found["repetitions"] = [stored]
    return found


def fake_bench_with_latency() -> dict[str, Any]:
    """The small bench.json of a run with two connection levels and PostgreSQL +1 ms:
    SQLite at 8 connections, PostgreSQL direct and behind the delay proxy at 64."""
    data = fake_bench()
    data["method"] |= {"connection_levels": [8, 64], "delayed_workloads": ["get", "mix"],
                       "server_cpu": "psutil", "database_counts": "the proxy"}  # fmt: skip
    data["server_settings"]["delay_proxy"] = "python -m bench.delay_proxy --delay-ms 1"
    for name, direct, delayed, cpu in [("bare-wsgi", 1000, 400, 1.0), ("flask", 500, 150, 2.0),
                                       ("django", 400, 120, 2.5), ("bare-asgi", 800, 600, 1.2),
                                       ("fastapi", 300, 210, 3.0)]:  # fmt: skip
        data["results"] += [
            latency_result("postgresql", name, direct, cpu),
            latency_result("postgresql-1ms", name, delayed, cpu + 0.5,
                           errors=2 if name == "django" else 0, counted=(4.0, 0.5)),
        ]  # fmt: skip
    for item in data["results"][-2:]:
        item["group"] = 2  # FastAPI's pools did not fit beside the others'
    data["delay_proxy"] = [{"database": "postgresql-1ms", "delay_ms": 1.0, "queries": 200,
                            "direct_ms": 0.066, "proxy_no_delay_ms": 0.257,
                            "proxy_delayed_ms": 2.7}]  # fmt: skip
    data["latency_claims"] = [asdict(quote) for quote in LATENCY_CLAIMS]
    return data


def test_the_report_says_where_the_database_is_not_on_loopback(tmp_path: Path) -> None:
    """The section: the proxy's own cost, the articles' claims quoted apart from the figures,
    each target direct against +1 ms (kept, latency, CPU, what the proxy counted), errors
    flagged, and a chart of throughput and p99 against the added latency; the tables and
    charts before it say their connection level."""
    data = model.BenchResults.from_json(fake_bench_with_latency())
    assert data.to_json() == fake_bench_with_latency()
    assert data.results[-1].repetitions[0].db_round_trips == 4 * 210
    markdown = report.render_markdown(data)
    assert "wrk (1 thread, 8 and 64 connections)" in markdown
    assert (
        "0.066 ms direct, 0.257 ms through the proxy without a delay (+0.191 ms), 2.700 ms "
        "at 1 ms each way (+0.634 ms beyond direct and the two delays)"
    ) in markdown
    assert (
        "On PostgreSQL, direct and behind the delay proxy alike, the targets' connection pools "
        "did not all fit under the server's max_connections at once: they took turns in 2 "
        "groups, one after the other (group 1: bare-wsgi, flask, django, bare-asgi; group 2: "
        "fastapi)."
    ) in markdown
    assert "**SQLite, 8 connections: requests per second**" in markdown
    assert "**PostgreSQL, 64 connections: requests per second**" in markdown
    assert "| get one | Flask | 150 | 135-165 | 38% |" in markdown  # of bare WSGI behind it
    section = markdown[markdown.index("### Where the database is not on loopback") :]
    assert "used at most 25% of a core" in section
    assert (
        "| get one | Flask | 500 (450-550) | 150 (135-165) | 30% | 2.0 / 2.0 | 5.0 / 5.0 "
        "| 2.00 / 2.50 | 4.00 | 0.5 | 0 / 0 |"
    ) in section
    assert "| get one | Django + DRF | 400 (360-440) | 120 (108-132) | 30% |" in section
    assert "| 0 / 2 (flagged) |" in section
    claims_row = next(line for line in section.splitlines() if "FastAPI's async model" in line)
    cells = claims_row.split(" | ")
    assert cells[1] == (
        "\u201cif your service spends most of its time waiting on databases, FastAPI's async "
        "model will outperform the others dramatically\u201d (FastAPI against the others when "
        "requests wait on the database)"
    )  # the claim, quoted, in its own column; the measurements in the next
    assert cells[2].startswith(
        "get one, PostgreSQL +1 ms each way: FastAPI 210 (70%), Flask 150 (30%), "
        "Django + DRF 120 (30%): FastAPI fastest of 3"
    )
    assert (
        "\u201cwhen tested with real database calls under concurrent load, Flask often "
        "bottlenecks first\u201d"
    ) in section
    assert "![database-latency](bench-database-latency.svg)" in section
    assert "![database-latency]" not in markdown[: markdown.index("### Where")]

    drawings = report.charts(data)
    assert list(drawings)[:3] == [
        "throughput-sqlite", "throughput-postgresql-64-connections",
        "throughput-postgresql-1ms-64-connections",
    ]  # fmt: skip
    chart = drawings["database-latency"]
    assert "added latency, 64 connections (median; whiskers: min-max)" in chart
    assert (">direct</text>" in chart, ">+1 ms</text>" in chart) == (True, True)
    assert chart.count("<circle") == 2 * 2 * 5  # two points, two panels, five targets
    assert "Django + DRF (errors!)" in chart
    assert "stroke-dasharray='7 3'" in chart  # the bare baselines, dashed, each its own way
    assert "stroke-dasharray='2 2'" in chart
    page = report.render_html(data)
    assert "<h3>Where the database is not on loopback</h3>" in page
    assert page.index("<h3>") < page.index("aria-label='Against the database")
    for path in report.write_charts(data, tmp_path):
        ElementTree.fromstring(path.read_text())  # well-formed, standalone


def needs_postgresql() -> None:
    """Skip the test unless the contract suite's PostgreSQL server answers."""
    try:
        psycopg.connect(POSTGRES_URL, connect_timeout=5).close()
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL at {POSTGRES_URL}: {error}")


def test_the_bench_holds_its_own_connection_to_each_database() -> None:
    """Seeding checks and resets use a connection held from the database's creation on, so
    that they never wait for one while the targets' pools take every connection there is;
    a database behind the delay proxy is PostgreSQL, checked and reset directly."""
    needs_postgresql()
    with fresh_database("postgresql-1ms") as url, connect(url) as first, connect(url) as second:
        assert first is second is databases.HELD[url]
        (name,) = first.execute("SELECT current_database()").fetchone()
        assert url.endswith(f"/{name}")
    assert url not in databases.HELD


def test_a_target_direct_and_behind_the_delay_proxy_take_turns_together() -> None:
    """PostgreSQL direct and behind the delay proxy are one pass: a target's two entries,
    and its entries behind the edge, start side by side, so that a group has them all."""
    options = parse_arguments(["--quick"])
    assert run.passes(options.databases) == [["sqlite"], ["postgresql", "postgresql-1ms"]]
    together = [entry for kind in ("postgresql", "postgresql-1ms")
                for entry in run.entries(kind, *run.selection(options), options)]  # fmt: skip
    ordered = [entry.label for entry in measuring.in_admission_order(together)]
    assert ordered[:6] == [
        "postgresql bare-wsgi", "postgresql-1ms bare-wsgi", "postgresql flask",
        "postgresql-1ms flask", "postgresql flask-edge", "postgresql-1ms flask-edge",
    ]  # fmt: skip
    assert sorted(ordered) == sorted(entry.label for entry in together)


def test_a_group_takes_a_servers_entries_all_or_none(monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL, a group admits a server's entries (alone and behind the edge, direct
    and behind the delay proxy) together: when one does not fit, they all start the next
    group, whose first server is admitted even if it does not fit."""
    options = parse_arguments(["--quick", "--targets", "flask", "flask-edge", "django",
                               "fastapi"])  # fmt: skip
    together = [entry for kind in ("postgresql", "postgresql-1ms")
                for entry in run.entries(kind, *run.selection(options), options)]  # fmt: skip
    ordered = measuring.in_admission_order(together)
    stopped: list[str] = []

    def start(self: Measurement, stack: ExitStack, database: str, target: Any,
              started: dict[tuple[str, str], Running]) -> Running:  # fmt: skip
        stack.callback(stopped.append, f"{database} {target.name}")
        started[database, target.name] = Running(f"http://127.0.0.1:1/{target.name}", database)
        return started[database, target.name]

    def prepare(self: Measurement, entry: Entry, running: Running, prepared: set[str]) -> bool:
        return entry.label != "postgresql-1ms django"  # its pools would not fit

    monkeypatch.setattr(Measurement, "start", start)
    monkeypatch.setattr(Measurement, "prepare", prepare)
    measurement = Measurement(options, Progress(io.StringIO()))
    urls: dict[tuple[str, str], Running] = {}
    with ExitStack() as stack:
        first = measurement.start_group(stack, ordered, urls)
        assert stopped == ["postgresql-1ms django", "postgresql django"]  # the whole bundle
    assert [entry.label for entry in first] == [
        "postgresql flask", "postgresql-1ms flask", "postgresql flask-edge",
        "postgresql-1ms flask-edge",
    ]  # fmt: skip
    assert set(urls) == {entry.key for entry in first}
    with ExitStack() as stack:
        second = measurement.start_group(stack, ordered[len(first) :], {})
    assert [entry.label for entry in second] == [
        "postgresql django", "postgresql-1ms django", "postgresql fastapi",
        "postgresql-1ms fastapi",
    ]  # fmt: skip


# A get-one with a bearer token, on PostgreSQL: each implementation checks its pooled
# connection (SQLAlchemy's pre-ping, Django's health check), reads the token's user (the
# revocation check needs its hash as it is now) and then the user asked for: three round
# trips, in autocommit (no BEGIN, no ROLLBACK). The bare baselines keep their connections
# without a check: two.
ROUND_TRIPS_PER_GET = {"bare-wsgi": 2, "flask": 3, "django": 3, "bare-asgi": 2, "fastapi": 3}


@pytest.mark.parametrize("name", list(ROUND_TRIPS_PER_GET))
def test_the_database_round_trips_of_a_signed_in_get_one(name: str) -> None:
    """Counted by the delay proxy at 0 ms: a get-one of another user's row, signed in, in
    ROUND_TRIPS_PER_GET[name] round trips, and no new connection."""
    needs_postgresql()
    (target,) = [target for target in targets() if target.name == name]
    if name == "bare-wsgi":
        # A connection per thread, and gthread hands a request to any of its 8: with one,
        # one connection, whose statements the warm-up has prepared (below).
        target = replace(target, env=(("GUNICORN_CMD_ARGS", "--threads 1"),))
    with (
        fresh_database("postgresql") as url,
        latency.proxy_in_front(url, 0) as proxy,
        servers.started(target, proxy.url(url), workers=1) as base_url,
        httpx.Client(base_url=base_url, timeout=30) as client,
    ):
        for number in (1, 2):
            body = {"name": "A", "email": databases.seed_email(number),
                    "password": databases.SEED_PASSWORD}  # fmt: skip
            assert client.post("/api/users", json=body).status_code == 201
        (token,) = authentication.mint_tokens(url, 1).values  # user 1's
        bearer = {"Authorization": f"Bearer {token}"}
        # After these the server's connection is open, and psycopg (all but Django) has
        # prepared the statements run five times, which costs a round trip once.
        for _ in range(10):
            assert client.get("/api/users/2", headers=bearer).status_code == 200
        proxy.counters(reset=True)
        for _ in range(20):
            assert client.get("/api/users/2", headers=bearer).status_code == 200
        counted = proxy.counters()
    assert counted == {"connections": 0, "round_trips": 20 * ROUND_TRIPS_PER_GET[name]}


def test_the_bench_runs_postgresql_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run makes its PostgreSQL databases on a private cluster, room for every target's
    pools at once, and back on the shared server once it stops; not with
    --shared-postgresql, nor when it runs on SQLite only."""
    progress = Progress(io.StringIO())
    for argv in (["--shared-postgresql"], ["--databases", "sqlite"]):
        with run.postgresql_of_its_own(parse_arguments(["--quick", *argv]), progress):
            assert databases.SERVER_URL == POSTGRES_URL
    try:
        stack = run.postgresql_of_its_own(parse_arguments(["--quick"]), progress)
    except PrivateClusterError as error:
        pytest.skip(str(error))
    with stack, databases.connect(databases.SERVER_URL) as connection:
        assert databases.SERVER_URL != POSTGRES_URL
        (limit,) = connection.execute("SHOW max_connections").fetchone()
        (fsync,) = connection.execute("SHOW fsync").fetchone()
    assert (limit, fsync) == ("1000", "on")
    assert databases.SERVER_URL == POSTGRES_URL


def test_a_run_signs_with_a_key_of_its_own_and_production_hashing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Meanwhile, every server started inherits a random JWT_SECRET and no ARGON2_*: the
    implementations' production parameters; the environment is restored after."""
    monkeypatch.setenv("ARGON2_TIME_COST", "1")
    monkeypatch.delenv("ARGON2_MEMORY_COST", raising=False)
    before = dict(os.environ)
    with authentication.production_signing() as first:
        assert os.environ["JWT_SECRET"] == first
        assert len(first.encode()) >= 32
        assert not set(authentication.ARGON2_SETTINGS) & set(os.environ)
    with authentication.production_signing() as second:
        assert second != first
    assert dict(os.environ) == before


def test_tokens_are_minted_again_before_a_run_they_would_not_outlast(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Minted once per database, kept while they outlast the next run by the margin, minted
    again when they would not."""
    minted: list[tuple[str, int]] = []
    lifetime = {"seconds": 900.0}

    def mint_tokens(url: str, users: int) -> Tokens:
        minted.append((url, users))
        return Tokens(tuple(fake_tokens(users)), time.time() + lifetime["seconds"])

    monkeypatch.setattr(authentication, "mint_tokens", mint_tokens)
    measurement = Measurement(argparse.Namespace(users=20), Progress(io.StringIO()))
    behind = Running("http://127.0.0.1:2", "sqlite:///a", server_url="http://127.0.0.1:1")
    first = measurement.tokens_for(behind, 5)
    assert measurement.tokens_for(Running("http://127.0.0.1:1", "sqlite:///a"), 5) is first
    assert minted == [("sqlite:///a", 20)]
    lifetime["seconds"] = 5 + authentication.MARGIN_S - 1  # would expire near the run's end
    measurement.tokens["sqlite:///a"] = mint_tokens("sqlite:///a", 20)
    renewed = measurement.tokens_for(behind, 5)
    assert renewed is measurement.tokens["sqlite:///a"]
    assert len(minted) == 3
    assert first.values == renewed.values == tuple(fake_tokens(20))


def test_the_hashing_parameters_are_read_from_every_stored_hash(tmp_path: Path) -> None:
    """m, t and p of each stored argon2id hash; one set for all, or the run stops; one hash
    alone timed with them."""
    stored = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"
    assert authentication.parameters_of(stored) == (19456, 2, 1)
    for wrong in ("", "argon2$" + stored, stored.replace("argon2id", "argon2i")):
        with pytest.raises(ValueError, match="not an argon2id PHC string"):
            authentication.parameters_of(wrong)
    url = f"sqlite:///{tmp_path}/hashes.sqlite3"
    with contextlib.closing(sqlite3.connect(tmp_path / "hashes.sqlite3")) as connection:
        connection.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, password_hash TEXT)")
        connection.executemany("INSERT INTO users (password_hash) VALUES (?)", [(stored,)] * 3)
        connection.commit()
        assert authentication.stored_parameters(url) == (19456, 2, 1)
        cheaper = stored.replace("m=19456", "m=8")
        connection.execute("INSERT INTO users (password_hash) VALUES (?)", (cheaper,))
        connection.commit()
        with pytest.raises(ValueError, match="2 sets of parameters"):
            authentication.stored_parameters(url)
    alone = authentication.one_hash_alone((8, 1, 1), "a test", hashes=3)
    assert (alone.memory_cost_kib, alone.time_cost, alone.parallelism, alone.hashes) == (
        8, 1, 1, 3,
    )  # fmt: skip
    assert 0 < alone.hash_ms < 1000


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_seeding_copies_a_signed_up_user_and_minted_tokens_are_accepted(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On each target's own table: user 1 signed up through the API, users 2..n copies of
    its row with ids in email order, read back as the server wrote user 1 (created_at too)
    and signing in with the same password; the server's token has the claims of a minted
    one, and each minted token writes as its own user. A server with another key fails
    the check."""
    if backend == "postgresql":
        needs_postgresql()
    users = 5
    for target in [target for target in targets() if target.upstream is None]:
        (tmp_path / target.name).mkdir()  # a SQLite file of its own
        with (
            empty_database(backend, tmp_path / target.name, "bench_seed") as url,
            servers.started(target, url, workers=1) as base_url,
            httpx.Client(base_url=base_url, timeout=30) as client,
        ):
            databases.seed(base_url, url, users)
            authentication.check_issued(base_url, url)
            tokens = authentication.mint_tokens(url, users)
            assert 890 < tokens.expires_at - time.time() <= 900
            bearer = {"Authorization": f"Bearer {tokens.values[0]}"}
            listed = client.get("/api/users", headers=bearer).json()
            assert [user["email"] for user in listed["items"]] == [
                databases.seed_email(number) for number in range(1, users + 1)
            ]
            assert len({(user["name"], user["created_at"]) for user in listed["items"]}) == 1
            credentials = {"email": databases.seed_email(3), "password": databases.SEED_PASSWORD}
            assert client.post("/api/tokens", json=credentials).status_code == 200
            for identifier, token in enumerate(tokens.values, start=1):
                mine = {"Authorization": f"Bearer {token}"}
                path = f"/api/users/{identifier}"
                patched = client.patch(path, json={"name": "Mine"}, headers=mine)
                assert patched.status_code == 200, (target.name, patched.text)
            monkeypatch.setenv("JWT_SECRET", "another key, " + "0" * 32)
            with pytest.raises(ValueError, match="does not verify with the run's key"):
                authentication.check_issued(base_url, url)
            monkeypatch.undo()
