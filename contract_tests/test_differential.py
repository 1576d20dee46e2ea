"""The implementations answer the same requests in the same way, on the wire.

Every request goes to every implementation in turn, and their responses are
compared field by field: the status, the media type, the ``Allow`` header (as
a set, or absent), the ``Location`` header, the two security headers, and the
JSON body, parsed and compared member by member, in order. When the status
differs, only the status is reported for that request.

Normalised before comparing, and nothing else:

- ``created_at`` of a user becomes ``<created_at>`` if it has the contract's
  form (``YYYY-MM-DDTHH:MM:SS.ffffffZ``); any other value is compared as it is.
- ``detail`` of a Problem Details body and of its ``errors`` items becomes
  ``<detail>``: the contract says that detail texts are for people and tests
  never compare them.
- User ids become ``{id1}``, ``{id2}``, ... in the order each implementation
  first returns them (in a body or a ``Location``), and requests that name a
  user get each implementation's own id for it. Ids are normalised rather than
  compared as they are because the implementations do not start from the same
  counter: in-process, the apps are shared with the rest of the suite, which
  has already created and deleted users in each, and against live servers they
  hold whatever they hold. Each database is emptied first (through the API),
  but deleting users does not reset the id counter, which the contract says
  must never hand an id out again. Numbering in order of appearance still
  tells an id that is reused, or users listed in another order, apart.

Two sequences are sent:

- the contract cases: every test of ``test_success.py`` and
  ``test_bad_input.py``, with each of its parameter sets, run against a
  stand-in HTTP client that sends each request to every implementation. The
  test's own assertions run on the first implementation's responses (and its
  failures are reported too); all the responses are compared.
- generated cases: schemathesis draws requests for every operation from the
  spec, positive and negative, with a fixed seed. About half of those that take
  a user id name one of the users that the same requests created beforehand
  in every implementation, so that they meet real users.

A difference fails the test unless ``known_differences.toml`` lists it, with
its reason; an entry there that matches no difference fails it too.

In-process by default, each app on its own SQLite file (the very apps the
other tests use: each implementation is built once per process); with
``--mode sqlite`` or ``--mode postgresql``, under the production servers, once
per mode; and with ``--base-url`` (named, for two or more), the servers given.
"""

import fnmatch
import functools
import inspect
import itertools
import json
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from contract_tests import test_bad_input, test_success
from contract_tests.client import ApiClient, media_type
from contract_tests.implementations import ROOT
from contract_tests.plugin import (
    SPEC,
    Target,
    _live_urls,
    _selected_names,
    as_a_server_would,
    open_target,
)
from contract_tests.test_generated import delete_all_users
from contract_tests.test_success import CREATED_AT

KNOWN_DIFFERENCES = ROOT / "contract_tests" / "known_differences.toml"
FIELDS = (
    "status",
    "media type",
    "allow",
    "location",
    "x-content-type-options",
    "cache-control",
    "body",
    # A body that differs only in the order of its 422 ``errors`` items.
    "errors order",
)
# Generated cases per generation mode; users created before them.
GENERATED_CASES = 200
GENERATED_USERS = 5
GENERATED_SEED = 5
USER_PATH = re.compile(r"/api/users/([1-9][0-9]*)(?=/|$)")
SYMBOL = re.compile(r"\{id[0-9]+\}")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One comparison per mode, named after what it compares: ``flask,django,fastapi``."""
    if "clients" not in metafunc.fixturenames:
        return
    config = metafunc.config
    names = _selected_names(config)
    if _live_urls(config):
        groups = [names]
    else:
        modes = config.getoption("--mode") or ["app"]
        groups = [[name if mode == "app" else f"{name}-{mode}" for name in names] for mode in modes]
    ids = [",".join(group) for group in groups]
    metafunc.parametrize("clients", groups, ids=ids, indirect=True)


def http_client(target: Target) -> httpx.Client:
    """An HTTP client for ``target``, made as the suite's ``api`` fixture makes it."""
    if target.base_url:
        return httpx.Client(base_url=target.base_url, timeout=30)
    if target.asgi:
        from starlette.testclient import TestClient

        return TestClient(target.app, base_url="http://localhost", raise_server_exceptions=False)
    transport = httpx.WSGITransport(app=as_a_server_would(target.app))
    return httpx.Client(transport=transport, base_url="http://localhost")


@pytest.fixture
def clients(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, httpx.Client]]:
    """An HTTP client for each implementation compared, each on an emptied database."""
    if len(request.param) < 2:
        pytest.skip("a comparison needs at least two implementations")
    with ExitStack() as stack:
        clients = {}
        for target_id in request.param:
            target = open_target(target_id, request.config, tmp_path_factory, stack)
            clients[target_id] = stack.enter_context(http_client(target))
        for client in clients.values():
            delete_all_users(ApiClient(client))
        yield clients


# -- Normalising and comparing responses -----------------------------------------


class UserIds:
    """One implementation's user ids, named ``{id1}``, ``{id2}``, ... as they first appear."""

    def __init__(self) -> None:
        self.symbols: dict[int, str] = {}
        self.ids: dict[str, int] = {}

    def symbol(self, user_id: int) -> str:
        if user_id not in self.symbols:
            symbol = f"{{id{len(self.symbols) + 1}}}"
            self.symbols[user_id] = symbol
            self.ids[symbol] = user_id
        return self.symbols[user_id]

    def symbolic_path(self, path: str) -> str:
        """``path`` with a known user id replaced by its symbol."""

        def replace(match: re.Match) -> str:
            return f"/api/users/{self.symbols.get(int(match[1]), match[1])}"

        return USER_PATH.sub(replace, path, count=1)

    def concrete_path(self, path: str) -> str:
        """``path`` with symbols replaced by this implementation's ids (unknown ones stay)."""
        return SYMBOL.sub(lambda match: str(self.ids.get(match[0], match[0])), path)


def normalise_json(value: Any, ids: UserIds, *, problem: bool) -> Any:
    """``value`` with user ids, ``created_at`` and Problem Details texts replaced."""
    if isinstance(value, list):
        return [normalise_json(item, ids, problem=problem) for item in value]
    if not isinstance(value, dict):
        return value
    normalised = {}
    for key, member in value.items():
        if problem and key == "detail" and isinstance(member, str):
            normalised[key] = "<detail>"
        elif not problem and key == "id" and type(member) is int:
            normalised[key] = ids.symbol(member)
        elif not problem and key == "created_at" and CREATED_AT.fullmatch(str(member)):
            normalised[key] = "<created_at>"
        else:
            normalised[key] = normalise_json(member, ids, problem=problem)
    return normalised


def normalise(response: httpx.Response | Exception, ids: UserIds) -> dict[str, Any]:
    """The fields of ``response`` that are compared, normalised."""
    if isinstance(response, Exception):
        # An app that crashes in-process, or a server that drops the connection.
        return dict.fromkeys(FIELDS) | {"status": f"{type(response).__name__}: {response}"}
    problem = media_type(response) == "application/problem+json"
    body = unordered = None
    if response.content:
        try:
            parsed = json.loads(response.content)
        except ValueError:
            body = unordered = f"<not JSON> {response.content[:300]!r}"
        else:
            # As text, so that the order of members counts as well.
            normalised = normalise_json(parsed, ids, problem=problem)
            body = unordered = json.dumps(normalised, ensure_ascii=False)
            if (
                problem
                and isinstance(normalised, dict)
                and isinstance(normalised.get("errors"), list)
            ):
                errors = sorted(normalised["errors"], key=json.dumps)
                unordered = json.dumps(normalised | {"errors": errors}, ensure_ascii=False)
    location = response.headers.get("location")
    if location and (match := re.fullmatch(r"/api/users/([1-9][0-9]*)", location)):
        location = f"/api/users/{ids.symbol(int(match[1]))}"
    allow = response.headers.get("allow")
    return {
        "status": response.status_code,
        "media type": media_type(response) or None,
        "allow": None if allow is None else frozenset(m.strip() for m in allow.split(",")),
        "location": location,
        "x-content-type-options": response.headers.get("x-content-type-options"),
        "cache-control": response.headers.get("cache-control"),
        "body": body,
        "errors order": unordered,
    }


@dataclass(frozen=True)
class Difference:
    """One field of one request's responses that the implementations do not agree on."""

    step: str
    request: str
    request_body: bytes | None
    content_type: str | None
    field: str
    responses: dict[str, dict[str, Any]]

    def values(self) -> dict[str, Any]:
        field = "body" if self.field == "errors order" else self.field
        return {name: response[field] for name, response in self.responses.items()}

    def odd_ones(self) -> list[str]:
        """The implementations that disagree with the largest group that agrees (or all)."""
        values = list(self.values().items())
        groups = [[name for name, other in values if other == value] for _, value in values]
        largest = max(groups, key=len)
        if sum(len(group) == len(largest) for group in groups) > len(largest):
            return [name for name, _ in values]  # no single largest group
        return [name for name, _ in values if name not in largest]

    def __str__(self) -> str:
        lines = [f"{self.step}: {self.request}: {self.field} differs"]
        if self.request_body is not None or self.content_type is not None:
            lines.append(
                f"    request: Content-Type {self.content_type!r}, body {self.request_body!r:.300}"
            )
        for name, response in self.responses.items():
            shown = {
                field: sorted(value) if isinstance(value, frozenset) else value
                for field, value in response.items()
                if value is not None and field != "errors order"
            }
            lines.append(f"    {name}: {shown!s:.600}")
        return "\n".join(lines)


def describe(method: str, path: str, params: Any) -> str:
    """``METHOD path?query``, as known-difference patterns see a request."""
    query = urlencode(params or [], doseq=True)
    return f"{method} {path}" + (f"?{query}" if query else "")


class Fanout:
    """Stands in for an ApiClient's httpx client: sends every request to every implementation.

    Requests name users by the first implementation's ids; each implementation
    gets its own ids for them. The first implementation's response goes back.
    """

    def __init__(self, clients: dict[str, httpx.Client]) -> None:
        self.clients = clients
        self.reference = next(iter(clients))
        self.ids = {name: UserIds() for name in clients}
        self.differences: list[Difference] = []
        self.step = ""
        self.sent = 0

    def request(
        self,
        method: str,
        url: str,
        *,
        content: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        path = self.ids[self.reference].symbolic_path(url)
        response = self.send(method, path, content=content, params=params, headers=headers)[
            self.reference
        ]
        if isinstance(response, Exception):
            raise response
        return response

    get = functools.partialmethod(request, "GET")
    post = functools.partialmethod(request, "POST")
    put = functools.partialmethod(request, "PUT")
    patch = functools.partialmethod(request, "PATCH")
    delete = functools.partialmethod(request, "DELETE")

    def send(
        self,
        method: str,
        path: str,
        *,
        content: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, httpx.Response | Exception]:
        """Send to each implementation, ``{idN}`` in ``path`` being its own id; compare."""
        if content is not None and not isinstance(content, bytes | str):
            content = list(content)  # a stream: the same chunks, streamed to each
        responses: dict[str, httpx.Response | Exception] = {}
        for name, client in self.clients.items():
            try:
                responses[name] = client.request(
                    method,
                    self.ids[name].concrete_path(path),
                    content=iter(content) if isinstance(content, list) else content,
                    params=params,
                    headers=headers,
                )
            except Exception as error:  # a crash is compared like any response
                responses[name] = error
        self.sent += 1
        self.compare(method, path, content, params, headers, responses)
        return responses

    def compare(
        self,
        method: str,
        path: str,
        content: Any,
        params: Any,
        headers: dict[str, str] | None,
        responses: dict[str, httpx.Response | Exception],
    ) -> None:
        normalised = {
            name: normalise(response, self.ids[name]) for name, response in responses.items()
        }
        first, *others = normalised.values()
        fields = FIELDS
        if any(other["status"] != first["status"] for other in others):
            fields = ("status",)
        content_type = next(
            (value for key, value in (headers or {}).items() if key.lower() == "content-type"), None
        )
        raw = b"".join(content) if isinstance(content, list) else content
        for field in fields:
            if field == "errors order" or all(other[field] == first[field] for other in others):
                continue
            if field == "body" and all(o["errors order"] == first["errors order"] for o in others):
                field = "errors order"  # the only way in which they differ
            self.differences.append(
                Difference(
                    self.step,
                    describe(method, path, params),
                    raw.encode() if isinstance(raw, str) else raw,
                    content_type,
                    field,
                    normalised,
                )
            )


# -- The contract cases: the example tests, through the fan-out --------------------


def parameter_id(names: list[str], value: Any, index: int, ids: Any) -> str:
    """A short, readable id for one parameter set, like pytest's."""
    if callable(ids):
        text = str(ids(value))
    elif ids is not None:
        text = str(list(ids)[index])
    elif len(names) == 1 and isinstance(value, str | int | float | bool | None):
        text = str(value).encode("unicode_escape").decode()
    else:
        text = f"{names[0]}{index}"
    return text if len(text) <= 40 else text[:39] + "…"


def parameter_sets(function: Callable) -> list[tuple[str, dict[str, Any]]]:
    """Each combination of the function's ``parametrize`` marks: its id and arguments."""
    sets: list[tuple[str, dict[str, Any]]] = [("", {})]
    for mark in getattr(function, "pytestmark", []):
        if mark.name != "parametrize":
            continue
        names, values = mark.args
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        ids = mark.kwargs.get("ids")
        expanded = [
            (
                parameter_id(names, value, index, ids),
                dict(zip(names, value if len(names) > 1 else [value], strict=True)),
            )
            for index, value in enumerate(values)
        ]
        sets = [
            (f"{expanded_id}-{set_id}" if set_id else expanded_id, arguments | more)
            for set_id, arguments in sets
            for expanded_id, more in expanded
        ]
    return [(f"[{set_id}]" if set_id else "", arguments) for set_id, arguments in sets]


def contract_steps() -> Iterator[tuple[str, Callable[[ApiClient], None]]]:
    """Every test in test_success.py and test_bad_input.py, with each parameter set."""
    for module in (test_success, test_bad_input):
        file = module.__name__.rpartition(".")[2] + ".py"
        for name, function in vars(module).items():
            if (
                not name.startswith("test_")
                or getattr(function, "__module__", "") != module.__name__
            ):
                continue
            for set_id, arguments in parameter_sets(function):
                fixtures = set(inspect.signature(function).parameters) - set(arguments)
                assert fixtures == {"api"}, f"{file}::{name} needs {fixtures}; only api is shared"
                yield f"contract {file}::{name}{set_id}", functools.partial(function, **arguments)


def several_bad_query_parameters(api: ApiClient) -> None:
    """Requests that no example test sends: a repeated parameter and another bad one."""
    for query in (
        [("limit", "abc"), ("offset", "1"), ("offset", "2")],
        [("email", "nope"), ("email", "x"), ("limit", "0")],
    ):
        assert api.get("/api/users", params=query).status_code == 422


def run_contract_cases(fanout: Fanout) -> list[str]:
    """Run every contract step through ``fanout``; return how those that failed did."""
    api = ApiClient(fanout)
    failures = []
    steps = [
        *contract_steps(),
        (
            "contract test_differential.py::several_bad_query_parameters",
            several_bad_query_parameters,
        ),
    ]
    assert steps, "no contract steps found"
    for step, run in steps:
        fanout.step = step
        sent = fanout.sent
        try:
            run(api)
        except Exception as error:  # reported with the differences
            failures.append(f"{step}: {type(error).__name__}: {error!s:.500}")
        if fanout.sent == sent:
            failures.append(f"{step}: sent no request")
    return failures


# -- Generated cases -------------------------------------------------------------


def query_pairs(params: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The query that ``requests`` would send for schemathesis' ``params``."""
    pairs = []
    for key, value in (params or {}).items():
        for item in value if isinstance(value, list | tuple) else [value]:
            if item is not None:
                pairs.append((key, item.decode() if isinstance(item, bytes) else str(item)))
    return pairs


WELL_FORMED_ID = re.compile(r"[1-9][0-9]{0,18}")


def request_of(case: schemathesis.Case, user: str | None) -> dict[str, Any]:
    """The arguments of ``Fanout.send`` for ``case``; ``user`` replaces its user id."""
    transport = case.as_transport_kwargs(base_url="http://generated")
    path = urlsplit(transport["url"]).path
    if user is not None:
        path = case.path.replace("{user_id}", user)
    headers = {
        key: value
        for key, value in transport["headers"].items()
        if key != "X-Schemathesis-TestCaseId"  # random: not part of the case
    }
    content = None
    if "json" in transport:
        try:
            content = json.dumps(transport["json"], allow_nan=False).encode()
        except ValueError:
            hypothesis.reject()  # NaN: not sendable as JSON, requests refuses it too
    elif "data" in transport:
        data = transport["data"]
        content = data.encode() if isinstance(data, str) else data
    return {
        "method": case.method,
        "path": path,
        "content": content,
        "params": query_pairs(transport.get("params")),
        "headers": headers,
    }


def run_generated_cases(fanout: Fanout, mode: GenerationMode, count: int) -> int:
    """Send ``count`` cases drawn from the spec in ``mode``; return how many were sent."""
    schema = schemathesis.openapi.from_path(SPEC)
    reference = fanout.ids[fanout.reference]
    known_before = len(reference.ids)
    api = ApiClient(fanout)
    fanout.step = f"generated {mode.value} set-up"
    for number in range(1, GENERATED_USERS + 1):
        body = {
            "name": f"Generated {number}",
            "email": f"generated-{mode.value}-{number}@example.com",
        }
        assert api.post("/api/users", body=body).status_code == 201
    numbers = itertools.count(1)

    # A fixed seed rather than derandomize, whose seed changes with this function's source.
    @hypothesis.seed(GENERATED_SEED)
    @hypothesis.settings(
        derandomize=False,
        database=None,
        max_examples=count,
        deadline=None,
        phases=[hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=schema.as_strategy(generation_mode=mode), data=st.data())
    def send(case: schemathesis.Case, data: st.DataObject) -> None:
        user = None
        if "user_id" in (case.path_parameters or {}):
            # One of the users created above or by the cases since, or the case's own id.
            # The strategy must not change with the number of users: Hypothesis replays
            # choices and stops at a strategy that changed under it.
            index = data.draw(st.none() | st.integers(0, 63), label="user")
            if index is not None:
                users = list(reference.ids)[known_before:]
                user = users[index % len(users)]
            elif WELL_FORMED_ID.fullmatch(str(case.path_parameters["user_id"])):
                # The case's own id could name a user in one implementation and none in
                # another (their id counters differ): it becomes one that names no user.
                user = str(2**63 - 1)
        arguments = request_of(case, user)
        fanout.step = f"generated {mode.value} #{next(numbers)}"
        fanout.send(**arguments)

    send()
    return next(numbers) - 1


# -- Known differences -----------------------------------------------------------


@dataclass(frozen=True)
class KnownDifference:
    """An entry of known_differences.toml."""

    request: str
    field: str
    implementations: frozenset[str]
    reason: str
    step: str = "*"
    modes: frozenset[str] | None = None

    def applies_to(self, names: set[str], mode: str) -> bool:
        """Whether a run of ``names`` in ``mode`` can show this difference."""
        in_mode = self.modes is None or mode in self.modes
        return in_mode and bool(names & self.implementations) and bool(names - self.implementations)

    def explains(self, difference: Difference, mode: str) -> bool:
        if self.modes is not None and mode not in self.modes:
            return False
        if difference.field != self.field:
            return False
        if not fnmatch.fnmatchcase(difference.request, self.request):
            return False
        if not fnmatch.fnmatchcase(difference.step, self.step):
            return False
        values = {
            target_id.partition("-")[0]: value for target_id, value in difference.values().items()
        }
        odd = [value for name, value in values.items() if name in self.implementations]
        rest = [value for name, value in values.items() if name not in self.implementations]
        if not odd:
            return False
        if not rest:
            return True  # all of them are named, and they differ
        # The others agree with each other, and each named one differs from them.
        return all(value == rest[0] for value in rest) and all(value != rest[0] for value in odd)


def load_known_differences() -> list[KnownDifference]:
    """The entries of known_differences.toml, checked."""
    data = tomllib.loads(KNOWN_DIFFERENCES.read_text(encoding="utf-8"))
    assert set(data) <= {"difference"}, f"{KNOWN_DIFFERENCES.name}: unknown tables {set(data)}"
    entries = []
    for entry in data.get("difference", []):
        where = f"{KNOWN_DIFFERENCES.name}: {entry}"
        required = {"request", "field", "implementations", "reason"}
        assert required <= set(entry) <= required | {"step", "modes"}, where
        assert entry["field"] in FIELDS, where
        assert entry["implementations"], where
        assert entry["reason"].strip(), where
        modes = entry.get("modes")
        entries.append(
            KnownDifference(
                request=entry["request"],
                field=entry["field"],
                implementations=frozenset(entry["implementations"]),
                reason=entry["reason"],
                step=entry.get("step", "*"),
                modes=None if modes is None else frozenset(modes),
            )
        )
    return entries


# -- The test --------------------------------------------------------------------


def test_differential(request: pytest.FixtureRequest, clients: dict[str, httpx.Client]) -> None:
    """Every implementation answers the contract cases and generated cases alike."""
    fanout = Fanout(clients)
    failures = run_contract_cases(fanout)
    contract_requests = fanout.sent
    generated = sum(
        run_generated_cases(fanout, mode, GENERATED_CASES)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    )
    assert generated == 2 * GENERATED_CASES, "schemathesis generated too few cases"

    # "flask-sqlite" runs in mode sqlite, "flask" in app, or live with --base-url.
    mode = next(iter(clients)).partition("-")[2] or "app"
    mode = "live" if _live_urls(request.config) else mode
    names = {target_id.partition("-")[0] for target_id in clients}
    known = load_known_differences()
    unexplained = [
        difference
        for difference in fanout.differences
        if not any(entry.explains(difference, mode) for entry in known)
    ]
    stale = [
        entry
        for entry in known
        if entry.applies_to(names, mode)
        and not any(entry.explains(difference, mode) for difference in fanout.differences)
    ]
    if failures or unexplained or stale:
        report = [
            f"{fanout.sent} requests ({contract_requests} from the contract cases, "
            f"{generated} generated) to {', '.join(clients)}:"
        ]
        if unexplained:
            report.append(f"{len(unexplained)} difference(s) not in {KNOWN_DIFFERENCES.name}:")
            kinds = Counter(
                f"{difference.field} ({', '.join(difference.odd_ones())})"
                for difference in unexplained
            )
            report += [f"    {count} x {kind}" for kind, count in kinds.most_common()]
            report += [str(difference) for difference in unexplained[:40]]
        if stale:
            report.append(f"{len(stale)} entry(ies) of {KNOWN_DIFFERENCES.name} match nothing:")
            report += [f"    {entry}" for entry in stale]
        if failures:
            report.append(f"{len(failures)} contract step(s) failed on {fanout.reference}:")
            report += [f"    {failure}" for failure in failures[:20]]
        pytest.fail("\n".join(report), pytrace=False)
