"""Tests that schemathesis generates from the spec, with all its checks.

Phases, checks and example counts live in ``schemathesis.toml`` at the root.

The operations that need a token (the ``bearerAuth`` scheme) get one from an
auth provider, schemathesis' way to authenticate (``@schema.auth()``), applied
to those operations only. Writes are owner-only, so the token is that of the
user the path names when its password is known (a user that schemathesis
signed up, in the stateful test for one), else that of a user of the
provider's own, for which another user's id is 403 and an unknown one 404.
Cases that schemathesis sends without a token, or with a bad one, on purpose
(its negative and coverage phases, and the probes of its ``ignored_auth``
check) get none from the provider, and the spec documents their 401.
"""

import dataclasses
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis

from contract_tests.client import ApiClient
from contract_tests.test_success import PASSWORD, create_user, sign_in


@dataclasses.dataclass
class Account:
    """A user whose password a test knows, and a token while one is valid."""

    email: str
    password: str
    token: str | None = None


class Accounts:
    """The users a test signed up, kept in step with what its requests did to them.

    Each request that succeeded is ``observe``d: a sign-up adds a user with
    the password it sent, a sign-in gives it a token, a new email or password
    replaces the old one (a new password revokes the user's tokens), a delete
    removes the user. So ``token_for`` always answers a token that works, for
    the right user, and signs the user in when it has none.
    """

    def __init__(self, api: ApiClient) -> None:
        self.api = api.as_user(None)  # signing up and signing in need no token
        self.known: dict[int, Account] = {}
        self.own: int | None = None

    def sign_up(self, **members: str) -> dict:
        """Create a user with the suite's password, known from now on; its body."""
        user = create_user(self.api, **members)
        self.known[user["id"]] = Account(user["email"], members.get("password", PASSWORD))
        return user

    def token_for(self, user_id: object) -> str:
        """A valid token of the user ``user_id`` names if known, else of a user of our own."""
        if type(user_id) is not int or user_id not in self.known:
            if self.own not in self.known:  # never signed up, or deleted by a request
                self.own = self.sign_up(name="Schemathesis")["id"]
            user_id = self.own
        account = self.known[user_id]
        if account.token is None:
            account.token = sign_in(self.api, account.email, account.password)
        return account.token

    def observe(self, method: str, path: str, body: Any, status: int, answer: Any) -> None:
        """Keep up with what a request to ``path`` (with a concrete id) did, from its answer."""
        if method == "POST" and path == "/api/users" and status == 201:
            self.known[answer["id"]] = Account(answer["email"], body["password"])
        if method == "POST" and path == "/api/tokens" and status == 200:
            for account in self.known.values():  # a sign-in that a request made itself
                if account.email == body["email"].lower():
                    account.token = answer["access_token"]
        if not path.startswith("/api/users/") or (account := self.known_at(path)) is None:
            return
        if method in ("PUT", "PATCH") and status == 200:
            account.email = answer["email"]
            if "password" in body:
                account.password = body["password"]
                account.token = None  # revoked, the one that made the request included
        elif method == "DELETE" and status == 204:
            del self.known[int(path.removeprefix("/api/users/"))]

    def known_at(self, path: str) -> Account | None:
        """The account of ``/api/users/{id}``, if the id is one of the known users'."""
        user_id = path.removeprefix("/api/users/")
        return self.known.get(int(user_id)) if user_id.isascii() and user_id.isdigit() else None

    def delete_all(self) -> None:
        """Delete every known user, each with its own token: deletes are owner-only."""
        for user_id in list(self.known):
            owner = self.api.as_user(self.token_for(user_id))
            assert owner.delete(f"/api/users/{user_id}").status_code == 204
        self.known.clear()


@pytest.fixture
def accounts(api: ApiClient) -> Iterator[Accounts]:
    """The users that one test signs up, deleted after it: it leaves no data to later tests."""
    accounts = Accounts(api)
    yield accounts
    accounts.delete_all()


@pytest.fixture
def signed_in_schema(
    api_schema: schemathesis.BaseSchema, accounts: Accounts
) -> schemathesis.BaseSchema:
    """The spec for schemathesis, with a bearer token on the operations that need one."""

    # refresh_interval=None: no cache of schemathesis' own, which could only guess when a
    # token stops working (it would refetch after a 401); Accounts knows, from each answer.
    @api_schema.auth(refresh_interval=None).apply_to(
        schemathesis.openapi.require_security_scheme("bearerAuth")
    )
    class BearerToken:
        def get(self, case: schemathesis.Case, ctx: schemathesis.AuthContext) -> str:
            return accounts.token_for((case.path_parameters or {}).get("user_id"))

        def set(self, case: schemathesis.Case, data: str, ctx: schemathesis.AuthContext) -> None:
            case.headers["Authorization"] = f"Bearer {data}"

    # Every request that schemathesis sends, in its tests and in the state machine's steps.
    @api_schema.hook
    def after_call(
        context: schemathesis.HookContext, case: schemathesis.Case, response: schemathesis.Response
    ) -> None:
        method = case.method.upper()
        writes = method in ("POST", "PUT", "PATCH") and response.status_code in (200, 201)
        answer = response.json() if writes else None
        accounts.observe(method, case.formatted_path, case.body, response.status_code, answer)

    return api_schema


schema = schemathesis.pytest.from_fixture("signed_in_schema")


@schema.parametrize()
def test_operation(case: schemathesis.Case) -> None:
    """Examples, coverage and fuzzing for every operation of the spec."""
    case.call_and_validate()


def test_stateful(signed_in_schema: schemathesis.BaseSchema, accounts: Accounts) -> None:
    """Sequences that follow the spec's links: sign up, then get, replace, update, delete.

    The provider signs each new user in (create_token) for the steps that name it.
    """

    class Workflow(signed_in_schema.as_state_machine()):
        def teardown(self) -> None:
            # Each scenario deletes the users it signed up, so that the next one, or
            # a replay of this one (Hypothesis replays to shrink a failure), meets
            # the same state: a create that succeeded the first time would answer 409.
            # Only those: deletes are owner-only, and other tests' users (the
            # session's own reader among them) are not this test's to delete.
            accounts.delete_all()
            super().teardown()

    Workflow.run(settings=hypothesis.settings(max_examples=50, stateful_step_count=6))
