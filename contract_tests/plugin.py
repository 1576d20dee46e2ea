"""Fixtures that point the very same tests at every implementation.

Each implementation runs in one or more modes (``--mode``, repeatable):

- ``app`` (the default): its app object in-process, on a fresh SQLite file;
- ``sqlite``: under its production server (``make serve``, two workers unless
  ``WEB_CONCURRENCY`` says otherwise), on a fresh SQLite file;
- ``postgresql``: under its production server, on a throwaway PostgreSQL
  database created on ``CONTRACT_POSTGRES_URL`` (default: the local server)
  and dropped afterwards. Without a reachable server these tests are skipped,
  except in CI (``CI`` set), where that is a failure;
- ``edge``: behind nginx (``make edge``: nginx in front of the production
  server, as a deployment runs it), on a fresh SQLite file.

Or against servers that are already running: ``--base-url flask=http://...``
(repeatable) or ``CONTRACT_BASE_URLS="flask=http://...,django=http://..."``;
a base URL without a name (``--base-url http://127.0.0.1:9000``) tests any
server, your own implementation for example, under the name ``live``.

With ``--differential``, the ``api`` client of every test sends each request
to all the implementations selected, in each mode (or to all the servers given,
two or more), returns the first one's response to the test, and compares all
the responses (differential.py says how); a difference fails the test. The
tests that reach the implementations other than through ``api`` (races,
schemathesis' own tests, tests that start servers of their own) and those
whose requests race each other are skipped in this mode, with the reason: they
run without it. Each database is emptied, through the API, before the first
test that compares.
"""

import os
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis

from contract_tests.client import ApiClient
from contract_tests.differential import Comparison, Fanout, load_known_differences
from contract_tests.implementations import IMPLEMENTATIONS, ROOT, database_url
from contract_tests.servers import running_server, throwaway_postgresql_database

SPEC = ROOT / "spec" / "openapi.yaml"
MODES = ("app", "sqlite", "postgresql", "edge")
SUITE = Path(__file__).resolve().parent
# The tests of the differential mode itself: collected with --differential only.
DIFFERENTIAL_TESTS = SUITE / "test_differential.py"
# Tests whose requests race each other through `api`: which of them wins may differ
# from one implementation to the next, so the differential mode does not compare them.
RACING_MODULES = {"contract_tests.test_concurrency"}
# The comparisons of a --differential run, by group: "flask,django,fastapi".
COMPARISONS = pytest.StashKey[dict[str, Comparison]]()

# Generated tests are reproducible in CI and explore new inputs elsewhere.
hypothesis.settings.register_profile(
    "ci", derandomize=True, database=None, deadline=None, print_blob=True
)
hypothesis.settings.register_profile("dev", deadline=None, print_blob=True)
hypothesis.settings.load_profile("ci" if os.environ.get("CI") else "dev")

# One signing key for every implementation the suite starts, in-process or as a server, so
# that they accept each other's tokens; and argon2id at its cheapest, since the suite signs
# up thousands of users (docs/sign-in.md: every implementation verifies any parameters).
os.environ.setdefault("JWT_SECRET", "contract-suite-signing-key-" + "0" * 32)
os.environ.setdefault("ARGON2_MEMORY_COST", "8")
os.environ.setdefault("ARGON2_TIME_COST", "1")
os.environ.setdefault("ARGON2_PARALLELISM", "1")


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
    group.addoption(
        "--differential",
        action="store_true",
        help="Send each request of the api client to every implementation and compare "
        "their answers; tests that cannot be compared so are skipped.",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[COMPARISONS] = {}
    if config.getoption("--differential") and len(names := _selected_names(config)) < 2:
        raise pytest.UsageError(f"--differential compares two or more implementations, not {names}")


@dataclass(frozen=True)
class Target:
    """What one run of the suite talks to: an app object or a live server."""

    name: str
    app: Any = None
    asgi: bool = False
    base_url: str | None = None
    # With --differential: the targets compared, of which this one is the group.
    compared: tuple["Target", ...] = ()


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
    """``flask`` in-process, ``flask-sqlite`` and ``flask-postgresql`` served.

    With --differential, one group per mode instead: ``flask,django,fastapi``.
    """
    names = _selected_names(config)
    modes = ["live"] if _live_urls(config) else config.getoption("--mode") or ["app"]
    groups = [
        [name if mode in ("app", "live") else f"{name}-{mode}" for name in names] for mode in modes
    ]
    if not config.getoption("--differential"):
        return [target_id for group in groups for target_id in group]
    return [",".join(group) for group in groups]


def _mode_of(group: str, config: pytest.Config) -> str:
    """``app``, ``sqlite``, ``postgresql``, ``edge`` or ``live``: how a group's targets run."""
    return "live" if _live_urls(config) else group.partition(",")[0].partition("-")[2] or "app"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" in metafunc.fixturenames:
        metafunc.parametrize("target", _target_ids(metafunc.config), indirect=True, scope="session")
    if "comparison" in metafunc.fixturenames:
        metafunc.parametrize("comparison", _target_ids(metafunc.config), indirect=True)
    if "implementation" in metafunc.fixturenames:
        # Tests that start this repository's own servers; none in live mode.
        names = [] if _live_urls(metafunc.config) else _selected_names(metafunc.config)
        metafunc.parametrize("implementation", names)


# In-process apps by implementation name. Each is built at most once per process:
# Django's settings are process-global, so a second Django app could not get a database
# of its own.
_built_apps: dict[str, Target] = {}


def open_target(
    target_id: str,
    config: pytest.Config,
    tmp_path_factory: pytest.TempPathFactory,
    stack: ExitStack,
) -> Target:
    """What ``target_id`` (``flask``, ``flask-edge``, ...) names; servers stop with ``stack``."""
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
    make_target = "edge" if mode == "edge" else "serve"
    base_url = stack.enter_context(running_server(name, url, target=make_target, env=workers))
    return Target(target_id, base_url=base_url)


@pytest.fixture(scope="session")
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """The implementation under test, built or started once per session (or the group)."""
    with ExitStack() as stack:
        targets = [
            open_target(target_id, request.config, tmp_path_factory, stack)
            for target_id in request.param.split(",")
        ]
        yield targets[0] if len(targets) == 1 else Target(request.param, compared=tuple(targets))


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


def http_client(target: Target) -> httpx.Client:
    """An HTTP client for one target: its server, or its app in-process."""
    if target.base_url:
        return httpx.Client(base_url=target.base_url, timeout=30)
    if target.asgi:
        # Starlette's TestClient runs the app's lifespan, as uvicorn would.
        from starlette.testclient import TestClient

        return TestClient(target.app, base_url="http://localhost", raise_server_exceptions=False)
    transport = httpx.WSGITransport(app=as_a_server_would(target.app))
    return httpx.Client(transport=transport, base_url="http://localhost")


@pytest.fixture(scope="session")
def api(request: pytest.FixtureRequest, target: Target) -> Iterator[ApiClient]:
    """An HTTP client for the target that checks every response it gets.

    With --differential, it sends each request to every target of the group.
    """
    with ExitStack() as stack:
        if not target.compared:
            yield signed_in(ApiClient(stack.enter_context(http_client(target))))
            return
        fanout = Fanout(
            {member.name: stack.enter_context(http_client(member)) for member in target.compared}
        )
        fanout.empty_databases()
        mode = _mode_of(target.name, request.config)
        comparison = Comparison(target.name, mode, fanout, load_known_differences())
        request.config.stash[COMPARISONS][target.name] = comparison
        yield signed_in(ApiClient(fanout))


def signed_in(api: ApiClient) -> ApiClient:
    """``api`` as a user of the session's own, for the operations that need a token."""
    from contract_tests.test_success import sign_up

    return sign_up(api, name="Session reader")[1]


@pytest.fixture
def comparison(request: pytest.FixtureRequest) -> Comparison:
    """One group's comparison as the session made it, for tests that run after all the others."""
    found = request.config.stash[COMPARISONS].get(request.param)
    if found is None:
        pytest.skip(f"no test compared {request.param} in this run")
    return found


@pytest.fixture
def api_schema(target: Target) -> Any:
    """The spec, bound to the target, for schemathesis."""
    schema = schemathesis.openapi.from_path(SPEC)
    if target.base_url:
        schema.config.update(base_url=target.base_url)
    else:
        schema.app = target.app
    return schema


# -- The differential mode ---------------------------------------------------------


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """test_differential.py has tests of the differential mode: none without it."""
    if collection_path == DIFFERENTIAL_TESTS and not config.getoption("--differential"):
        return True
    return None


def _reason_not_to_compare(item: pytest.Function) -> str | None:
    """Why a test of the suite cannot run in the differential mode, if it cannot."""
    if "comparison" in item.fixturenames:
        return None
    if item.module.__name__ in RACING_MODULES:
        return "its requests race each other, and which one wins may differ between implementations"
    if "target" not in item.fixturenames:
        return "it does not use the suite's client: it starts servers of its own, or reads files"
    info = item._fixtureinfo
    others = [
        f"`{name}`"
        for name, definitions in info.name2fixturedefs.items()
        if name not in ("api", "target") and "target" in definitions[-1].argnames
    ]
    if "target" in info.argnames:
        others.append("`target`")
    if others:
        return f"it reaches the implementation through {', '.join(others)}, not only through `api`"
    return None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With --differential: skip what cannot be compared; the tests of whole comparisons last."""
    if not config.getoption("--differential"):
        return
    for item in items:
        if isinstance(item, pytest.Function) and SUITE in item.path.parents:
            reason = _reason_not_to_compare(item)
            if reason:
                item.add_marker(pytest.mark.skip(reason=f"not compared: {reason}"))
    items.sort(key=lambda item: "comparison" in getattr(item, "fixturenames", ()))


def case_name(item: pytest.Function, group: str) -> str:
    """``test_bad_input.py::test_bad_name_is_422[123]``: a test and its parameters, no group."""
    head, _, parameters = item.name.partition("[")
    parameters = parameters.removesuffix("]")
    if parameters == group:
        parameters = ""
    elif parameters.startswith(f"{group}-"):
        parameters = parameters.removeprefix(f"{group}-")
    elif parameters.endswith(f"-{group}"):
        parameters = parameters.removesuffix(f"-{group}")
    else:
        parameters = parameters.replace(f"-{group}-", "-", 1)
    return f"{item.path.name}::{head}" + (f"[{parameters}]" if parameters else "")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """With --differential: a test fails for any difference between the answers it got."""
    callspec = getattr(item, "callspec", None)
    group = callspec.params.get("target") if callspec else None
    comparison = item.config.stash[COMPARISONS].get(group) if group else None
    if comparison is None or "api" not in getattr(item, "funcargs", {}):
        return (yield)
    comparison.begin(case_name(item, group))
    try:
        result = yield
    except BaseException as error:
        if not isinstance(error, KeyboardInterrupt):
            comparison.finish(failure=error)
        raise
    comparison.finish()
    return result
