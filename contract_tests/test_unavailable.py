"""Database unreachable: 503 with Retry-After, and no restart to recover.

These tests start each implementation under its production server with
``make server``, which does not create tables, so that the server starts
while its database cannot be reached.

An operation that needs a token needs the database to check it (the user must
still exist, with the hash the token was issued for): a well-signed token, made
here with the suite's JWT_SECRET since no server can issue one without its
database, gets 503; no token at all gets 401, which needs no database.
"""

import os
import time
import uuid
from pathlib import Path

import httpx
import jwt

from contract_tests.client import check_response
from contract_tests.servers import make, running_server
from contract_tests.test_success import PASSWORD


def well_signed_token(user_id: int) -> str:
    """A token with every claim of docs/sign-in.md, signed with the suite's JWT_SECRET,
    for a user whose hash it cannot know: only the database can refuse it."""
    now = int(time.time())
    claims = {
        "token_type": "access",
        "exp": now + 900,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "sub": str(user_id),
        "hash_password": "0" * 32,
    }
    return jwt.encode(claims, os.environ["JWT_SECRET"], algorithm="HS256")


def bearer(user_id: int) -> dict[str, str]:
    """The Authorization header of a well-signed token for ``user_id``."""
    return {"Authorization": f"Bearer {well_signed_token(user_id)}"}


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
        assert_unavailable(httpx.get(f"{url}/api/users", headers=bearer(1)))
        assert_unavailable(httpx.get(f"{url}/api/users/1", headers=bearer(1)))
        assert_unavailable(httpx.patch(f"{url}/api/users/1", json={"name": "b"}, headers=bearer(1)))
        credentials = {"email": "a@example.com", "password": PASSWORD}
        assert_unavailable(httpx.post(f"{url}/api/users", json={"name": "a"} | credentials))
        assert_unavailable(httpx.post(f"{url}/api/tokens", json=credentials))
        # Errors that need no database are still told apart.
        unprocessable = httpx.post(f"{url}/api/users", json={"name": ""})
        check_response(unprocessable)
        assert unprocessable.status_code == 422
        unauthorized = httpx.get(f"{url}/api/users")
        check_response(unauthorized)
        assert unauthorized.status_code == 401


def test_sqlite_unreachable_then_back_needs_no_restart(implementation: str, tmp_path: Path) -> None:
    folder = tmp_path / "not-yet"
    database_url = f"sqlite:///{folder}/users.sqlite3"
    with running_server(implementation, database_url, target="server") as url:
        assert_unavailable(httpx.get(f"{url}/health"))
        assert_unavailable(httpx.get(f"{url}/api/users", headers=bearer(1)))
        folder.mkdir()
        make("init-db", implementation, database_url)
        health = httpx.get(f"{url}/health")
        check_response(health)
        assert health.status_code == 200
        body = {"name": "Back", "email": "back@example.com", "password": PASSWORD}
        created = httpx.post(f"{url}/api/users", json=body)
        check_response(created)
        assert created.status_code == 201
