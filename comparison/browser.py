"""Headless Chromium, driven by Playwright: the system's own browser, never a downloaded one."""

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, ConsoleMessage, sync_playwright

# Debian's package is `chromium`; other systems name the same browser otherwise.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# No GPU, and a host resolver rule that makes any name fail to resolve: a page that reaches
# out is caught in the act without reaching anything. (Playwright's own flags already keep
# the browser from talking to the network on its own account.)
FLAGS = ["--disable-gpu", "--host-resolver-rules=MAP * ~NOTFOUND"]


@dataclass
class PageCheck:
    """What a page did while it loaded: its element ids, errors, and requests for resources."""

    ids: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


def find_chromium() -> str | None:
    """Return the path of an installed Chromium, or None."""
    return next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)


@contextmanager
def launch() -> Iterator[Browser]:
    """Start the installed Chromium, headless, and close it on the way out."""
    chromium = find_chromium()
    if chromium is None:
        raise FileNotFoundError("no Chromium installed (Debian: apt-get install chromium)")
    with sync_playwright() as playwright:
        # No sandbox: root in a container has none to offer.
        browser = playwright.chromium.launch(
            executable_path=chromium, args=FLAGS, chromium_sandbox=False
        )
        with browser:
            yield browser


def screenshot(page: Path, output: Path, width: int = 1400, height: int = 1800) -> None:
    """Save a PNG of the top of a page, as a window of width by height pixels shows it."""
    with launch() as browser:
        tab = browser.new_page(viewport={"width": width, "height": height})
        tab.goto(page.resolve().as_uri())
        tab.screenshot(path=output)


def check_page(page: Path) -> PageCheck:
    """Load a page from disk; return its ids, its console errors and its requests."""
    check = PageCheck()
    with launch() as browser:
        tab = browser.new_page()

        def on_console(message: ConsoleMessage) -> None:
            # Errors include what Chromium logs itself, such as a resource it failed to load.
            if message.type in ("error", "assert"):
                check.errors.append(message.text)

        tab.on("console", on_console)
        tab.on("pageerror", lambda error: check.errors.append(str(error)))
        tab.on("request", lambda request: check.requests.append(request.url))
        tab.on(
            "requestfailed",
            lambda request: check.errors.append(f"{request.url}: {request.failure}"),
        )
        tab.goto(page.resolve().as_uri())  # returns once the load event has fired
        check.ids = tab.eval_on_selector_all("[id]", "elements => elements.map(e => e.id)")
    return check
