"""Fixtures that point the very same tests at every implementation.

In-process by default: each implementation's app object on a fresh SQLite
database. Against live servers when base URLs are given, either
``--base-url flask=http://127.0.0.1:8001`` (repeatable) or
``CONTRACT_BASE_URLS="flask=http://...,django=http://..."``; a base URL
without a name (``--base-url http://127.0.0.1:9000``) tests any server, for
example your own implementation, under the name ``live``.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis

from contract_tests.client import ApiClient
from contract_tests.implementations import IMPLEMENTATIONS, ROOT, database_url

SPEC = ROOT / "spec" / "openapi.yaml"

# Generated tests are reproducible in CI and explore new inputs elsewhere.
hypothesis.settings.register_profile(
    "ci", derandomize=True, database=None, deadline=None, print_blob=True
)
hypothesis.settings.register_profile("dev", deadline=None, print_blob=True)
hypothesis.settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract")
    group.addoption(
        "--impl",
        action="append",
        default=[],
        help="Test only this implementation (repeatable). Default: all.",
    )
    group.addoption(
        "--base-url",
        action="append",
        default=[],
        metavar="[NAME=]URL",
        help="Test a live server instead of an in-process app (repeatable).",
    )


@dataclass(frozen=True)
class Target:
    """What one run of the suite talks to: an app object or a live server."""

    name: str
    app: Any = None
    asgi: bool = False
    base_url: str | None = None


def _live_urls(config: pytest.Config) -> dict[str, str]:
    entries = list(config.getoption("--base-url"))
    entries += [e for e in os.environ.get("CONTRACT_BASE_URLS", "").split(",") if e.strip()]
    urls = {}
    for entry in entries:
        name, _, url = entry.strip().rpartition("=")
        urls[name or "live"] = url.rstrip("/")
    return urls


def _selected_names(config: pytest.Config) -> list[str]:
    live = _live_urls(config)
    names = list(live) if live else [impl.name for impl in IMPLEMENTATIONS]
    wanted = config.getoption("--impl")
    unknown = set(wanted) - set(names)
    if unknown:
        raise pytest.UsageError(f"--impl: unknown implementation(s) {sorted(unknown)}")
    return [name for name in names if not wanted or name in wanted]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" in metafunc.fixturenames:
        names = _selected_names(metafunc.config)
        metafunc.parametrize("target", names, indirect=True, scope="session")
    if "implementation" in metafunc.fixturenames:
        # Tests that start this repository's own servers; none in live mode.
        names = [] if _live_urls(metafunc.config) else _selected_names(metafunc.config)
        metafunc.parametrize("implementation", names)


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Target:
    """The implementation under test, built once per session."""
    name = request.param
    live = _live_urls(request.config)
    if name in live:
        return Target(name, base_url=live[name])
    impl = next(impl for impl in IMPLEMENTATIONS if impl.name == name)
    database = tmp_path_factory.mktemp(name) / "users.sqlite3"
    with database_url(f"sqlite:///{database}"):
        app = impl.build_app()
    return Target(name, app=app, asgi=impl.asgi)


def as_a_server_would(app: Any) -> Any:
    """Give a WSGI app the environ that gunicorn gives it, which httpx's transport does not.

    PEP 3333 wants ``PATH_INFO`` as the URL's bytes decoded as latin-1 (httpx
    passes the decoded text), and a chunked body needs
    ``wsgi.input_terminated`` to be readable without a Content-Length.
    """

    def wrapped(environ: dict, start_response: Any) -> Any:
        environ["PATH_INFO"] = environ["PATH_INFO"].encode().decode("latin-1")
        environ["wsgi.input_terminated"] = True
        return app(environ, start_response)

    return wrapped


@pytest.fixture(scope="session")
def api(target: Target) -> Iterator[ApiClient]:
    """An HTTP client for the target that checks every response it gets."""
    if target.base_url:
        http = httpx.Client(base_url=target.base_url, timeout=30)
    elif target.asgi:
        # Starlette's TestClient runs the app's lifespan, as uvicorn would.
        from starlette.testclient import TestClient

        http = TestClient(target.app, base_url="http://localhost", raise_server_exceptions=False)
    else:
        transport = httpx.WSGITransport(app=as_a_server_would(target.app))
        http = httpx.Client(transport=transport, base_url="http://localhost")
    with http:
        yield ApiClient(http)


@pytest.fixture
def api_schema(target: Target) -> Any:
    """The spec, bound to the target, for schemathesis."""
    schema = schemathesis.openapi.from_path(SPEC)
    if target.base_url:
        schema.config.update(base_url=target.base_url)
    else:
        schema.app = target.app
    return schema
