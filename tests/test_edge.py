"""The edge (edge/): its nginx configuration against the contract's values, and its runner.

What the edge answers is tested through it by the contract suite (``--mode edge``);
these tests check what the suite cannot see: that the values written into the nginx
configuration are the contract's (rules.py), that nginx accepts the configuration,
and that stopping the runner, even killing it, stops nginx and the application server.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest
import yaml

from contract_tests.implementations import ROOT
from contract_tests.servers import free_port
from edge.__main__ import render

TEMPLATE = (ROOT / "edge" / "edge.conf.template").read_text()
RULES = ROOT / "impl_flask" / "contract" / "rules.py"
SPEC = ROOT / "spec" / "openapi.yaml"


def contract_rules() -> dict:
    """rules.py's names, read as the implementations read it."""
    namespace: dict = {}
    exec(compile(RULES.read_text(), str(RULES), "exec"), namespace)
    return namespace


def nginx() -> str:
    """Debian's nginx (make edge and make test install it); skip without it, except in CI."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("nginx is not installed: make test installs it")
        pytest.skip("nginx is not installed (Debian: apt-get install nginx)")
    return found


def test_the_user_id_of_a_body_route_is_the_contracts() -> None:
    (regex,) = re.findall(r"/api/users/\(\?:(.*?)\)\(\\\?\.\*\)\?\$", TEMPLATE)
    assert regex == contract_rules()["USER_ID_REGEX"]


def test_titles_are_the_contracts() -> None:
    block = TEMPLATE.split("map $status $problem_title {", 1)[1].split("}", 1)[0]
    titles = {int(code): title for code, title in re.findall(r'(\d{3}) "([^"]+)";', block)}
    assert {408, 413, 414, 431, 501, 503} <= set(titles)
    rules_titles = contract_rules()["TITLES"]
    assert {code: rules_titles[code] for code in titles} == titles


def test_the_body_limit_is_the_contracts() -> None:
    (limit,) = re.findall(r"client_max_body_size (\d+)k;", TEMPLATE)
    assert int(limit) * 1024 == contract_rules()["MAX_BODY_BYTES"]
    # A body of the largest size is kept in memory, not written to a temporary file.
    (buffer,) = re.findall(r"client_body_buffer_size (\d+)k;", TEMPLATE)
    assert int(buffer) >= int(limit)


def test_every_operation_with_a_body_is_one_whose_body_the_edge_limits() -> None:
    # A body route missing from $reads_body would reach the application without its body.
    spec = yaml.safe_load(SPEC.read_text())
    routes = re.findall(r'^    "~(.+)" 1;$', TEMPLATE.split("$reads_body {", 1)[1], re.M)
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "requestBody" in operation:
                request = f"{method.upper()} {path.replace('{user_id}', '9223372036854775807')}"
                assert any(re.fullmatch(route, request) for route in routes), request


def block(name: str) -> str:
    """The body of the nginx block that opens with ``name``, nested blocks included."""
    body = TEMPLATE.split(f"{name} {{", 1)[1]
    depth = 1
    for position, character in enumerate(body):
        depth += {"{": 1, "}": -1}.get(character, 0)
        if depth == 0:
            return body[:position]
    raise AssertionError(f"{name}: no closing brace")


def test_a_body_too_large_for_an_operation_that_needs_a_token_asks_the_application() -> None:
    # The contract's precedence puts 401 before 413, and only the application can check a
    # token: for the body routes that need one, the edge's 413 waits for its answer.
    spec = yaml.safe_load(SPEC.read_text())
    needs_token = {
        method.upper()
        for path in ("/api/users", "/api/users/{user_id}")
        for method, operation in spec["paths"][path].items()
        if method in ("post", "put", "patch") and operation.get("security", spec.get("security"))
    }
    assert needs_token == {"PUT", "PATCH"}
    # The 413 of @oversized is the edge's own for POST (sign-up) alone.
    oversized = block("location @oversized")
    assert re.search(r"if \(\$request_method != POST\) \{\s*return 419;\s*\}", oversized)
    assert "error_page 419 = /.edge/oversized-with-token;" in oversized
    # The question: a bodiless list_users with the client's token, which a usable token
    # can only make a 422 (limit=0 is below the spec's minimum) and any other a 401.
    asking = block("location = /.edge/oversized-with-token")
    assert "proxy_pass http://application/api/users?limit=0;" in asking
    assert "proxy_method GET;" in asking
    assert "proxy_pass_request_body off;" in asking
    list_users = spec["paths"]["/api/users"]["get"]
    assert list_users["security"] == [{"bearerAuth": []}]
    assert {"401", "422"} <= set(list_users["responses"])
    assert spec["components"]["parameters"]["limit"]["schema"]["minimum"] == 1
    # Its 422 becomes the edge's 413; the 401, untouched, is the client's answer.
    assert "proxy_intercept_errors on;" in asking
    assert "error_page 422 =413 /.edge/problem;" in asking
    assert not re.search(r"error_page [^;]*\b401\b", TEMPLATE)
    assert "proxy_set_header Authorization" not in TEMPLATE


def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    config = render(tmp_path, "127.0.0.1:1", free_port())
    result = subprocess.run(
        [nginx(), "-t", "-p", str(tmp_path), "-c", str(config), "-e", "stderr"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # Only the runner's two names are replaced: nginx's own variables are left as written.
    rendered = (tmp_path / "edge.conf").read_text()
    assert "${" not in rendered
    assert "$status" in rendered
    assert "$request_uri" in rendered


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_stopping_the_runner_stops_nginx_and_the_application_server(
    tmp_path: Path, stop: signal.Signals
) -> None:
    # SIGTERM: the runner stops both itself; SIGKILL: Linux does (PR_SET_PDEATHSIG).
    nginx()
    port = free_port()
    env = os.environ | {"DATABASE_URL": f"sqlite:///{tmp_path / 'users.sqlite3'}"}
    runner = subprocess.Popen(
        [sys.executable, "-m", "edge", "--impl", "flask", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
                break
            except httpx.TransportError:
                assert runner.poll() is None, "the edge exited"
                assert time.monotonic() < deadline, "the edge did not answer within 60 s"
                time.sleep(0.2)
        started = psutil.Process(runner.pid).children(recursive=True)
        names = {process.name() for process in started}
        assert "nginx" in names
        assert any("gunicorn" in name for name in names), names
        runner.send_signal(stop)
        assert runner.wait(timeout=30) == (0 if stop == signal.SIGTERM else -signal.SIGKILL)
        _, alive = psutil.wait_procs(started, timeout=5)
        assert alive == []
    finally:
        if runner.poll() is None:
            runner.kill()
