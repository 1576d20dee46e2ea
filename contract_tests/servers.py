"""Start an implementation under its production server, as ``make`` does."""

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from contract_tests.implementations import ROOT


def free_port() -> int:
    """A loopback port that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make(
    target: str, impl: str, database_url: str, **variables: str
) -> subprocess.CompletedProcess:
    """Run ``make TARGET IMPL=impl`` with ``DATABASE_URL`` set; fail loudly."""
    arguments = [f"{key}={value}" for key, value in variables.items()]
    env = os.environ | {"DATABASE_URL": database_url}
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), target, f"IMPL={impl}", *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@contextmanager
def running_server(impl: str, database_url: str, *, target: str = "serve") -> Iterator[str]:
    """Run ``make TARGET`` for ``impl`` on a free port; yield its base URL."""
    port = free_port()
    env = os.environ | {"DATABASE_URL": database_url}
    command = [
        "make",
        "--no-print-directory",
        "-C",
        str(ROOT),
        target,
        f"IMPL={impl}",
        f"PORT={port}",
    ]
    process = subprocess.Popen(
        command, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stdout.read().decode()
            try:
                httpx.get(f"{base_url}/health", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, f"{impl} did not start on port {port}"
                time.sleep(0.2)
        yield base_url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        process.stdout.close()
