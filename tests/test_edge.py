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

from contract_tests.implementations import ROOT
from contract_tests.servers import free_port
from edge.__main__ import render

TEMPLATE = (ROOT / "edge" / "edge.conf.template").read_text()
RULES = ROOT / "impl_flask" / "contract" / "rules.py"


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
