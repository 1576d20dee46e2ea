"""Database unreachable: 503 with Retry-After, and no restart to recover.

These tests start each implementation under its production server with
``make server``, which does not create tables, so that the server starts
while its database cannot be reached.
"""

from pathlib import Path

import httpx

from contract_tests.client import check_response
from contract_tests.servers import make, running_server


def assert_unavailable(response: httpx.Response) -> None:
    check_response(response)
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"].isdigit()
    assert int(response.headers["retry-after"]) >= 1


def test_postgresql_down_is_503(implementation: str) -> None:
    # Nothing listens on port 9 of the loopback: connections are refused.
    with running_server(
        implementation, "postgresql://postgres@127.0.0.1:9/users", target="server"
    ) as url:
        assert_unavailable(httpx.get(f"{url}/health"))
        assert_unavailable(httpx.get(f"{url}/api/users"))
        assert_unavailable(httpx.get(f"{url}/api/users/1"))
        assert_unavailable(
            httpx.post(f"{url}/api/users", json={"name": "a", "email": "a@example.com"})
        )
        # Errors that need no database are still told apart.
        unprocessable = httpx.post(f"{url}/api/users", json={"name": ""})
        check_response(unprocessable)
        assert unprocessable.status_code == 422


def test_sqlite_unreachable_then_back_needs_no_restart(implementation: str, tmp_path: Path) -> None:
    folder = tmp_path / "not-yet"
    database_url = f"sqlite:///{folder}/users.sqlite3"
    with running_server(implementation, database_url, target="server") as url:
        assert_unavailable(httpx.get(f"{url}/health"))
        assert_unavailable(httpx.get(f"{url}/api/users"))
        folder.mkdir()
        make("init-db", implementation, database_url)
        health = httpx.get(f"{url}/health")
        check_response(health)
        assert health.status_code == 200
        created = httpx.post(f"{url}/api/users", json={"name": "Back", "email": "back@example.com"})
        check_response(created)
        assert created.status_code == 201
