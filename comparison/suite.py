"""Run the contract suite against every implementation under its production server.

The suite runs twice, each time against servers started on fresh databases: once
against each of them, for each implementation's results, then with
``--differential``, each test's requests going to all of them and their answers
compared. Both runs' results
go into one JUnit XML report, a test suite each.
"""

import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ElementTree
from contextlib import ExitStack
from pathlib import Path

from contract_tests.implementations import IMPLEMENTATIONS, ROOT
from contract_tests.servers import ServerStartupError, running_server
from tooling.progress import Progress

# Longer than the suite ever needs on a slow machine, short of hanging forever.
SUITE_TIMEOUT = 3600


class ServerStartError(RuntimeError):
    """An implementation's production server did not answer /health."""


class SuiteRunError(RuntimeError):
    """pytest stopped before it could run the tests, or wrote no JUnit XML report."""


def run_contract_suite(junit_xml: Path, progress: Progress) -> None:
    """Run the suite's two runs, each against every implementation started anew; write junit_xml."""
    with tempfile.TemporaryDirectory(prefix="comparison-") as folder:
        runs = [Path(folder) / "each.xml", Path(folder) / "differential.xml"]
        for number, run in enumerate(runs):
            # Fresh databases for each run: the differential mode empties each database through
            # the API, and users whose password a test changed can no longer be signed in as.
            with ExitStack() as servers:
                base_urls = start_servers(Path(folder) / f"run-{number}", servers, progress)
                run_pytest(base_urls, run, progress, differential=number == 1)
                progress.step("stopping the servers")
        merge_junit_xml(runs, junit_xml)


def start_servers(folder: Path, servers: ExitStack, progress: Progress) -> dict[str, str]:
    """Start every implementation with `make serve` on a fresh SQLite file in folder."""
    folder.mkdir()
    # One key for the servers and the suite (make exports JWT_SECRET), and argon2id at its
    # cheapest, as the suite sets it for the servers it starts itself: the run signs up
    # thousands of users, and the report compares behaviour, not speed.
    environment = {"ARGON2_MEMORY_COST": "8", "ARGON2_TIME_COST": "1", "ARGON2_PARALLELISM": "1"}
    base_urls = {}
    for implementation in IMPLEMENTATIONS:
        name = implementation.name
        progress.step(f"{name}: starting its production server (make serve) on a fresh SQLite file")
        database_url = f"sqlite:///{folder / f'{name}.sqlite3'}"
        try:
            base_urls[name] = servers.enter_context(
                running_server(name, database_url, env=environment)
            )
        except ServerStartupError as error:
            raise ServerStartError(
                f"{name} did not start under its production server (make serve):\n{error}"
            ) from None
        progress.step(f"{name}: serving on {base_urls[name]}")
    return base_urls


def pytest_command(
    base_urls: dict[str, str], junit_xml: Path, *, differential: bool = False
) -> list[str]:
    """Return the command that runs the contract suite against the servers at base_urls."""
    command = [sys.executable, "-m", "pytest", "contract_tests"]
    for name, url in base_urls.items():
        command += ["--base-url", f"{name}={url}"]
    if differential:
        # Every request to all the servers, answers compared; a test suite of its own.
        command += ["--differential", "-o", "junit_suite_name=differential"]
    return [
        *command,
        # Only the tests aimed at these servers (see live_only.py); no cache to write.
        "-p",
        "comparison.live_only",
        "-p",
        "no:cacheprovider",
        f"--junitxml={junit_xml}",
        # Failures and errors in the closing summary, not every skip: the report lists those.
        "-rfE",
    ]


def run_pytest(
    base_urls: dict[str, str], junit_xml: Path, progress: Progress, *, differential: bool = False
) -> None:
    """Run the suite, passing its output on line by line, and check that it really ran."""
    command = pytest_command(base_urls, junit_xml, differential=differential)
    if differential:
        progress.step("running it again with --differential: comparing " + ", ".join(base_urls))
    else:
        progress.step("running the contract suite against " + ", ".join(base_urls))
    started = time.monotonic()
    with subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as pytest:
        # Reading the output blocks until pytest ends: a timer stops a suite that hangs.
        watchdog = threading.Timer(SUITE_TIMEOUT, pytest.kill)
        watchdog.start()
        try:
            for line in pytest.stdout:
                if line.strip():
                    progress.step("  " + line.rstrip())
            returncode = pytest.wait()
        finally:
            watchdog.cancel()
    if time.monotonic() - started >= SUITE_TIMEOUT:
        raise SuiteRunError(f"the contract suite ran for over {SUITE_TIMEOUT} s and was stopped")
    # 0: all passed; 1: some failed, which the report shows. Anything else: no results.
    if returncode not in (0, 1) or not junit_xml.exists():
        raise SuiteRunError(f"pytest exited with {returncode}: {' '.join(command)}")


def merge_junit_xml(runs: list[Path], junit_xml: Path) -> None:
    """Write the test suites of several JUnit XML reports into one."""
    merged = ElementTree.Element("testsuites")
    for run in runs:
        merged.extend(ElementTree.parse(run).getroot().iter("testsuite"))
    ElementTree.ElementTree(merged).write(junit_xml, encoding="utf-8", xml_declaration=True)
