"""Fixtures that point the very same tests at every implementation.

Each implementation runs in one or more modes (``--mode``, repeatable):

- ``app`` (the default): its app object in-process, on a fresh SQLite file;
- ``sqlite``: under its production server (``make serve``, two workers unless
  ``WEB_CONCURRENCY`` says otherwise), on a fresh SQLite file;
- ``postgresql``: under its production server, on a throwaway PostgreSQL
  database created on ``CONTRACT_POSTGRES_URL`` (default: the local server)
  and dropped afterwards. Without a reachable server these tests are skipped,
  except in CI (``CI`` set), where that is a failure.

Or against servers that are already running: ``--base-url flask=http://...``
(repeatable) or ``CONTRACT_BASE_URLS="flask=http://...,django=http://..."``;
a base URL without a name (``--base-url http://127.0.0.1:9000``) tests any
server, your own implementation for example, under the name ``live``.
"""

import os
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis

from contract_tests.client import ApiClient
from contract_tests.implementations import IMPLEMENTATIONS, ROOT, database_url
from contract_tests.servers import running_server, throwaway_postgresql_database

SPEC = ROOT / "spec" / "openapi.yaml"
MODES = ("app", "sqlite", "postgresql")

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
        "--mode",
        action="append",
        default=[],
        choices=MODES,
        help="How to run each implementation (repeatable). Default: app.",
    )
    group.addoption(
        "--base-url",
        action="append",
        default=[],
        metavar="[NAME=]URL",
        help="Test a server that is already running (repeatable).",
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


def _target_ids(config: pytest.Config) -> list[str]:
    """``flask`` in-process, ``flask-sqlite`` and ``flask-postgresql`` served."""
    names = _selected_names(config)
    if _live_urls(config):
        return names
    modes = config.getoption("--mode") or ["app"]
    return [name if mode == "app" else f"{name}-{mode}" for mode in modes for name in names]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" in metafunc.fixturenames:
        metafunc.parametrize("target", _target_ids(metafunc.config), indirect=True, scope="session")
    if "implementation" in metafunc.fixturenames:
        # Tests that start this repository's own servers; none in live mode.
        names = [] if _live_urls(metafunc.config) else _selected_names(metafunc.config)
        metafunc.parametrize("implementation", names)


# In-process apps by implementation name. Each is built at most once per process:
# Django's settings are process-global, so a second Django app could not get a database
# of its own. The `target` fixture and the differential test share these.
_built_apps: dict[str, Target] = {}


def open_target(
    target_id: str,
    config: pytest.Config,
    tmp_path_factory: pytest.TempPathFactory,
    stack: ExitStack,
) -> Target:
    """What ``target_id`` (``flask``, ``flask-sqlite``, ...) names; servers stop with ``stack``."""
    name, _, mode = target_id.partition("-")
    live = _live_urls(config)
    if name in live:
        return Target(name, base_url=live[name])
    sqlite_url = f"sqlite:///{tmp_path_factory.mktemp(target_id) / 'users.sqlite3'}"
    if not mode:
        if name not in _built_apps:
            impl = next(impl for impl in IMPLEMENTATIONS if impl.name == name)
            with database_url(sqlite_url):
                app = impl.build_app()
            _built_apps[name] = Target(name, app=app, asgi=impl.asgi)
        return _built_apps[name]
    url = sqlite_url
    if mode == "postgresql":
        url = stack.enter_context(throwaway_postgresql_database(f"contract_{name}"))
    # Two workers, as production runs them: separate processes racing on one database.
    workers = {"WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "2")}
    base_url = stack.enter_context(running_server(name, url, env=workers))
    return Target(target_id, base_url=base_url)


@pytest.fixture(scope="session")
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """The implementation under test, built or started once per session."""
    with ExitStack() as stack:
        yield open_target(request.param, request.config, tmp_path_factory, stack)


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
