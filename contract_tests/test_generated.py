"""Tests that schemathesis generates from the spec, with all its checks.

Phases, checks and example counts live in ``schemathesis.toml`` at the root.
"""

import hypothesis
import schemathesis

from contract_tests.client import ApiClient

schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_operation(case: schemathesis.Case) -> None:
    """Examples, coverage and fuzzing for every operation of the spec."""
    case.call_and_validate()


def delete_all_users(api: ApiClient) -> None:
    """Empty the database through the API itself."""
    while users := api.get("/api/users", params={"limit": 100}).json()["items"]:
        for user in users:
            assert api.delete(f"/api/users/{user['id']}").status_code == 204


def test_stateful(api_schema: schemathesis.BaseSchema, api: ApiClient) -> None:
    """Sequences that follow the spec's links: create, then get, replace, update, delete."""

    class Workflow(api_schema.as_state_machine()):
        def setup(self) -> None:
            # Every scenario starts from an empty database, so that replaying
            # one (Hypothesis does, to shrink a failure) meets the same state:
            # otherwise a create that succeeded the first time answers 409.
            delete_all_users(api)

    Workflow.run(settings=hypothesis.settings(max_examples=50, stateful_step_count=6))
