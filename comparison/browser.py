"""Headless Chromium, driven over the DevTools protocol on a pipe: no Python package needed.

`--remote-debugging-pipe` makes Chromium read protocol messages on its file
descriptor 3 and write its own on 4, each a JSON text ended by a NUL byte.
"""

import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Debian's package is `chromium`; other systems name the same browser otherwise.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# No sandbox (root in a container has none to offer), no GPU, and nothing that talks to
# the network on the browser's own account. The host resolver rule makes any name fail
# to resolve: a page that reaches out is caught in the act without reaching anything.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]
TIMEOUT = 60


@dataclass
class PageCheck:
    """What a page did while it loaded: its element ids, errors, and requests for resources."""

    ids: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


def find_chromium() -> str | None:
    """Return the path of an installed Chromium, or None."""
    return next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)


def screenshot(page: Path, output: Path, width: int = 1400, height: int = 1800) -> None:
    """Save a PNG of the top of a page, as a window of width by height pixels shows it."""
    chromium = find_chromium()
    if chromium is None:
        raise FileNotFoundError("no Chromium installed (Debian: apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        subprocess.run(
            [
                chromium,
                *FLAGS,
                f"--user-data-dir={profile}",
                "--hide-scrollbars",
                f"--screenshot={output.resolve()}",
                f"--window-size={width},{height}",
                page.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=TIMEOUT,
        )


def check_page(page: Path) -> PageCheck:
    """Load a page from disk; return its ids, its console errors and its requests."""
    chromium = find_chromium()
    if chromium is None:
        raise FileNotFoundError("no Chromium installed (Debian: apt-get install chromium)")
    with (
        tempfile.TemporaryDirectory(prefix="chromium-") as profile,
        DevTools(
            [chromium, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe"]
        ) as devtools,
    ):
        target = devtools.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = devtools.call("Target.attachToTarget", {"targetId": target, "flatten": True})
        session_id = session["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            devtools.call(f"{domain}.enable", session_id=session_id)
        devtools.call("Page.navigate", {"url": page.resolve().as_uri()}, session_id=session_id)
        devtools.wait_for("Page.loadEventFired")
        ids = devtools.call(
            "Runtime.evaluate",
            {
                "expression": "Array.from(document.querySelectorAll('[id]'), e => e.id)",
                "returnByValue": True,
            },
            session_id=session_id,
        )["result"]["value"]
        return PageCheck(ids, devtools.errors(), devtools.requests())


class DevTools:
    """A Chromium process, and the protocol messages it has sent so far."""

    def __init__(self, command: list[str]) -> None:
        self.command = command
        self.events: list[dict[str, Any]] = []
        self.buffer = b""
        self.last_id = 0

    def __enter__(self) -> "DevTools":
        browser_reads, self.writer = os.pipe()
        self.reader, browser_writes = os.pipe()

        def give_pipes_to_the_browser() -> None:
            # In the child only: fds 3 and 4, as Chromium expects. Copied above 10 first,
            # so that moving one pipe end onto 3 or 4 cannot close the other.
            reading = fcntl.fcntl(browser_reads, fcntl.F_DUPFD, 10)
            writing = fcntl.fcntl(browser_writes, fcntl.F_DUPFD, 10)
            os.dup2(reading, 3)
            os.dup2(writing, 4)

        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
            pass_fds=(3, 4),
            # preexec_fn is unsafe in threaded programs; the callers here have one thread.
            preexec_fn=give_pipes_to_the_browser,
        )
        os.close(browser_reads)
        os.close(browser_writes)
        return self

    def __exit__(self, *exception: object) -> None:
        try:
            self.send("Browser.close")
            self.process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        finally:
            os.close(self.writer)
            os.close(self.reader)
            self.log.close()

    def send(self, method: str, params: dict | None = None, session_id: str | None = None) -> int:
        """Send a command; return its id."""
        self.last_id += 1
        message = {"id": self.last_id, "method": method, "params": params or {}}
        if session_id:
            message["sessionId"] = session_id
        os.write(self.writer, json.dumps(message).encode() + b"\0")
        return self.last_id

    def call(self, method: str, params: dict | None = None, session_id: str | None = None) -> Any:
        """Send a command and return its result, keeping the events that come before it."""
        command_id = self.send(method, params, session_id)
        while True:
            message = self.receive()
            if message.get("id") == command_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
            self.events.append(message)

    def wait_for(self, event: str) -> None:
        """Wait until Chromium has sent an event, keeping every event."""
        while not any(message.get("method") == event for message in self.events):
            self.events.append(self.receive())

    def receive(self) -> dict[str, Any]:
        """Return the next message, waiting for it at most TIMEOUT seconds."""
        deadline = time.monotonic() + TIMEOUT
        while b"\0" not in self.buffer:
            ready, _, _ = select.select([self.reader], [], [], deadline - time.monotonic())
            chunk = os.read(self.reader, 1 << 16) if ready else b""
            if not chunk:
                self.log.seek(0)
                output = self.log.read().decode(errors="replace")[-2000:]
                raise RuntimeError(f"Chromium stopped answering:\n{output}")
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(message)

    def errors(self) -> list[str]:
        """Return the console errors, uncaught exceptions and error log entries so far."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                found.append(" ".join(str(arg.get("value", arg)) for arg in params["args"]))
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                found.append(details.get("exception", {}).get("description", details["text"]))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(params["entry"]["text"])
        return found

    def requests(self) -> list[str]:
        """Return the URL of every request the page made, itself included."""
        return [
            event["params"]["request"]["url"]
            for event in self.events
            if event.get("method") == "Network.requestWillBeSent"
        ]
