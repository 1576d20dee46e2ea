"""The database a network hop away: PostgreSQL behind bench/delay_proxy.py, a proxy of its
own in front of each target's database, and the proxy's own cost, read as a run starts."""

import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO
from urllib.parse import urlsplit

import psutil

from bench import databases, delay_proxy
from bench.cpus import EVERY_CPU
from bench.databases import delayed_kind
from bench.model import ProxyOverhead
from bench.processes import cpu_list
from contract_tests.implementations import ROOT

START_TIMEOUT_S = 30
OVERHEAD_QUERIES = 200  # SELECT 1 behind each median


@dataclass(frozen=True)
class Proxy:
    """A running delay proxy: where it listens, where its counters are read, its process."""

    port: int
    control_port: int
    pid: int

    def url(self, database_url: str) -> str:
        """database_url with the proxy's address in place of the database server's."""
        parts = urlsplit(database_url)
        user, at, _ = parts.netloc.rpartition("@")
        return parts._replace(netloc=f"{user}{at}127.0.0.1:{self.port}").geturl()

    def counters(self, *, reset: bool = False) -> delay_proxy.Counters:
        """Connections and round trips since it started or was last reset (reset: zero them)."""
        return delay_proxy.counters(self.control_port, reset=reset)

    def cpu_seconds(self) -> float | None:
        """Its user and system CPU time so far; None once it has gone."""
        try:
            return sum(psutil.Process(self.pid).cpu_times()[:2])
        except psutil.NoSuchProcess:
            return None


def command(upstream: str, delay_ms: float) -> list[str]:
    """The proxy's command line: on every CPU, as PostgreSQL, not on the servers' one that
    the bench pins itself and its servers to."""
    return ["taskset", "-c", cpu_list(EVERY_CPU), sys.executable, "-m", "bench.delay_proxy",
            "--upstream", upstream, "--delay-ms", f"{delay_ms:g}"]  # fmt: skip


def ports(process: subprocess.Popen, log: IO[bytes]) -> tuple[int, int]:
    """The ports of `listening <port> control <port>`, the proxy's first line."""
    deadline = time.monotonic() + START_TIMEOUT_S
    assert process.stdout is not None
    while time.monotonic() < deadline and process.poll() is None:
        ready, _, _ = select.select([process.stdout], [], [], 0.2)
        if ready:
            words = process.stdout.readline().split()
            if len(words) == 4 and words[0] == b"listening":
                return int(words[1]), int(words[3])
            break
    log.seek(0)
    raise RuntimeError(f"the delay proxy did not start:\n{log.read().decode(errors='replace')}")


def stop(process: subprocess.Popen) -> None:
    """Stop the proxy, killing it if it does not stop within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def proxy_in_front(database_url: str, delay_ms: float) -> Iterator[Proxy]:
    """Start a delay proxy in front of database_url's server; yield it; stop it."""
    parts = urlsplit(database_url)
    upstream = f"{parts.hostname}:{parts.port or 5432}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command(upstream, delay_ms), cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=log)  # fmt: skip
        try:
            port, control_port = ports(process, log)
            yield Proxy(port, control_port, process.pid)
        finally:
            stop(process)
            process.stdout.close()  # type: ignore[union-attr]


def overhead(delay_ms: float) -> ProxyOverhead:
    """The median `SELECT 1` direct, through a proxy at 0 ms and through one at delay_ms."""
    parts = urlsplit(databases.SERVER_URL)
    login = {"user": parts.username or "postgres", "dbname": parts.path.strip("/") or "postgres"}

    def median_ms(host: str, port: int) -> float:
        return delay_proxy.round_trip_ms(host, port, OVERHEAD_QUERIES, **login)

    def through_proxy(delay: float) -> float:
        with proxy_in_front(databases.SERVER_URL, delay) as proxy:
            return median_ms("127.0.0.1", proxy.port)

    return ProxyOverhead(
        database=delayed_kind(delay_ms),
        delay_ms=delay_ms,
        queries=OVERHEAD_QUERIES,
        direct_ms=median_ms(parts.hostname or "127.0.0.1", parts.port or 5432),
        proxy_no_delay_ms=through_proxy(0),
        proxy_delayed_ms=through_proxy(delay_ms),
    )
