"""Tests of the differential mode (``--differential``), collected in that mode only.

The mode itself sends every contract test's requests to all the implementations
and compares their answers (differential.py). Here are what no contract test
sends, and the check of ``known_differences.toml`` as a whole:

- generated requests: schemathesis draws requests for every operation from the
  spec, positive and negative, with a fixed seed. About half of those that take
  a user id name one of the users that the same requests created beforehand in
  every implementation, so that they meet real users. Those that need a token
  carry one (unless the case is about a missing or bad one): about half of the
  time that of the user the path names, if its password is known, so that its
  writes succeed, else another user's (403 for a write). (Schemathesis' own
  tests, in test_generated.py, call one application each and are not compared.)
- a repeated query parameter beside another bad one;
- last, every entry of ``known_differences.toml`` that this run could have
  shown must have matched a difference.
"""

import itertools
import json
import re
from typing import Any
from urllib.parse import urlsplit

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from contract_tests.client import ApiClient
from contract_tests.differential import KNOWN_DIFFERENCES, Comparison, Fanout
from contract_tests.plugin import SPEC
from contract_tests.test_generated import Accounts

# Generated cases per generation mode; users created before them.
GENERATED_CASES = 200
GENERATED_USERS = 5
GENERATED_SEED = 5
WELL_FORMED_ID = re.compile(r"[1-9][0-9]{0,18}")
NEEDS_TOKEN = schemathesis.openapi.require_security_scheme("bearerAuth")


def query_pairs(params: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The query that ``requests`` would send for schemathesis' ``params``."""
    pairs = []
    for key, value in (params or {}).items():
        for item in value if isinstance(value, list | tuple) else [value]:
            if item is not None:
                pairs.append((key, item.decode() if isinstance(item, bytes) else str(item)))
    return pairs


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


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_generated_requests_are_answered_alike(api: ApiClient, mode: GenerationMode) -> None:
    """Requests drawn from the spec, sent as they are (no checks but the comparison)."""
    fanout = api.http
    assert isinstance(fanout, Fanout)
    reference = fanout.ids[fanout.reference]
    known_before = len(reference.ids)
    # The users whose passwords are known, by the first implementation's ids; the
    # Fanout gives each implementation its own ids and tokens for theirs.
    accounts = Accounts(api)
    for number in range(1, GENERATED_USERS + 1):
        email = f"generated-{mode.value}-{number}@example.com"
        accounts.sign_up(name=f"Generated {number}", email=email)
    case_name = fanout.step
    numbers = itertools.count(1)
    schema = schemathesis.openapi.from_path(SPEC)

    # A fixed seed rather than derandomize, whose seed changes with this function's source.
    @hypothesis.seed(GENERATED_SEED)
    @hypothesis.settings(
        derandomize=False,
        database=None,
        max_examples=GENERATED_CASES,
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
        context = schemathesis.AuthContext(operation=case.operation, app=None)
        signs = NEEDS_TOKEN(context) and not case.operation.schema.is_security_param_negated(case)
        if signs:
            signer = reference.ids.get(user) if user is not None else None
            if not (signer in accounts.known and data.draw(st.booleans(), label="as the owner")):
                # Another user: the strategy must not change with their number, as above.
                index = data.draw(st.integers(0, 63), label="signer")
                known = list(accounts.known)
                signer = known[index % len(known)] if known else None
        # After the last draw: Hypothesis discards a case whose draws overrun its buffer.
        fanout.step = f"{case_name} #{next(numbers)}"
        if signs:
            arguments["headers"]["Authorization"] = f"Bearer {accounts.token_for(signer)}"
        response = fanout.send(**arguments)[fanout.reference]
        if not isinstance(response, Exception):
            observe(accounts, reference.concrete_path(arguments["path"]), arguments, response)

    send()
    assert next(numbers) - 1 == GENERATED_CASES, "schemathesis generated too few cases"


def observe(accounts: Accounts, path: str, arguments: dict[str, Any], response: Any) -> None:
    """Keep ``accounts`` up with a generated request and the first implementation's answer."""
    method, status = arguments["method"], response.status_code
    writes = method in ("POST", "PUT", "PATCH") and status in (200, 201)
    body = json.loads(arguments["content"]) if writes else None
    accounts.observe(method, path, body, status, response.json() if writes else None)


def test_several_bad_query_parameters_are_422(api: ApiClient) -> None:
    """Requests that no example test sends: a repeated parameter and another bad one."""
    for query in (
        [("limit", "abc"), ("offset", "1"), ("offset", "2")],
        [("email", "nope"), ("email", "x"), ("limit", "0")],
    ):
        assert api.get("/api/users", params=query).status_code == 422


def test_every_known_difference_occurs(comparison: Comparison) -> None:
    """An entry that this run could have shown, and did not, is out of date: remove it."""
    stale = comparison.stale()
    assert not stale, f"{len(stale)} entries of {KNOWN_DIFFERENCES.name} match nothing:\n" + (
        "\n".join(f"    {entry}" for entry in stale)
    )
