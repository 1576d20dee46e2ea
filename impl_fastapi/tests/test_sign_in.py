"""What the contract suite cannot see of sign-in: the stored hash, the token, the CLI, the order."""

import hashlib
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx
import jwt
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlmodel import create_engine

from impl_fastapi.contract.rules import MAX_BODY_BYTES, SIGN_IN_FAILED
from impl_fastapi.database import POOL_SIZE
from impl_fastapi.main import app
from impl_fastapi.settings import get_settings

from .conftest import PASSWORD, migrate, sign_in, sign_up

ROOT = Path(__file__).parents[2]


def stored_hash(database: Path, email: str) -> str | None:
    """Read a user's password_hash straight from the SQLite file."""
    with sqlite3.connect(database) as connection:
        query = "SELECT password_hash FROM users WHERE email = ?"
        return connection.execute(query, (email,)).fetchone()[0]


def store_hash(database: Path, email: str, password_hash: str | None) -> None:
    """Write a user's password_hash straight into the SQLite file, as another program would."""
    with sqlite3.connect(database) as connection:
        query = "UPDATE users SET password_hash = ? WHERE email = ?"
        connection.execute(query, (password_hash, email))


def token_with(**claims: object) -> str:
    """Sign claims with the app's key, to make tokens create_token never issues."""
    return jwt.encode(claims, get_settings().jwt_secret.get_secret_value(), algorithm="HS256")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# The stored hash.


def test_the_hash_is_a_bare_phc_string_with_the_settings_parameters(
    client: TestClient, tmp_path: Path
) -> None:
    sign_up(client)
    settings = get_settings()
    parameters = (
        f"m={settings.argon2_memory_cost},t={settings.argon2_time_cost},"
        f"p={settings.argon2_parallelism}"
    )
    pattern = rf"\$argon2id\$v=19\${parameters}\$[A-Za-z0-9+/]{{22}}\$[A-Za-z0-9+/]{{43}}"
    assert re.fullmatch(pattern, stored_hash(tmp_path / "users.sqlite3", "ada@example.com"))


def test_a_hash_argon2_cffi_wrote_with_other_parameters_signs_in_and_is_kept(
    client: TestClient, tmp_path: Path
) -> None:
    # What the other two implementations write, here with OWASP's parameters, not the suite's.
    database = tmp_path / "users.sqlite3"
    sign_up(client)
    written = PasswordHasher(memory_cost=19456, time_cost=2, parallelism=1).hash(PASSWORD)
    store_hash(database, "ada@example.com", written)
    token = sign_in(client, "Ada@Example.com", PASSWORD)
    # Never rehashed with the current parameters: that would revoke the user's tokens.
    assert stored_hash(database, "ada@example.com") == written
    assert client.get("/api/users", headers=bearer(token)).status_code == 200


def test_the_password_is_normalised_with_nfkc(client: TestClient) -> None:
    # "e" and a combining acute accent, and U+FB01 (the "fi" ligature), sign in as "é" and "fi".
    sign_up(client, password="caf\u00e9 \ufb01nances du mois")
    sign_in(client, "ada@example.com", "cafe\u0301 finances du mois")


@pytest.mark.parametrize(
    ("password", "detail"),
    [
        ("a" * 14, "Must be 15 to 128 characters long, after NFKC."),
        ("a" * 129, "Must be 15 to 128 characters long, after NFKC."),
        # 14 characters as sent, 15 once U+FB01 is "fi".
        ("\ufb01" + "a" * 12 + "b", None),
        ("correct horse\x00battery", "Must not contain NUL."),
        (123456789012345, "Must be a string."),
        (None, "Must be a string."),
    ],
)
def test_a_password_breaking_the_rules_is_422_and_never_repeated(
    client: TestClient, password: object, detail: str | None
) -> None:
    body = {"name": "Ada", "email": "ada@example.com", "password": password}
    response = client.post("/api/users", json=body)
    if detail is None:
        assert response.status_code == 201
        assert "password" not in response.text
        return
    assert response.status_code == 422
    assert response.json()["errors"] == [{"detail": detail, "pointer": "#/password"}]
    assert str(password) not in response.text or password is None


# create_token.


def test_a_token_carries_simplejwt_s_claims(client: TestClient, tmp_path: Path) -> None:
    user, _ = sign_up(client)
    response = client.post("/api/tokens", json={"email": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["access_token", "token_type", "expires_in"]
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 900)
    token = body["access_token"]
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(token, options={"verify_signature": False})
    assert list(claims) == ["token_type", "exp", "iat", "jti", "sub", "hash_password"]
    assert claims["token_type"] == "access"
    assert claims["exp"] - claims["iat"] == 900
    assert abs(claims["iat"] - time.time()) < 60
    assert re.fullmatch("[0-9a-f]{32}", claims["jti"])
    assert claims["sub"] == str(user["id"])
    password_hash = stored_hash(tmp_path / "users.sqlite3", "ada@example.com")
    assert claims["hash_password"] == hashlib.md5(password_hash.encode()).hexdigest().upper()


def test_the_three_sign_in_failures_are_one_answer(client: TestClient, tmp_path: Path) -> None:
    sign_up(client)
    sign_up(client, email="grace@example.com")
    store_hash(tmp_path / "users.sqlite3", "grace@example.com", None)  # before passwords
    answers = []
    for email, password in [
        ("nobody@example.com", PASSWORD),  # unknown email
        ("ada@example.com", "not the password at all"),  # wrong password
        ("grace@example.com", PASSWORD),  # no password set
        ("ada@example.com", "short"),  # checked, not validated
        ("ada\x00@example.com", "correct horse\x00battery"),  # NUL anywhere
    ]:
        response = client.post("/api/tokens", json={"email": email, "password": password})
        headers = {key: response.headers[key] for key in ("www-authenticate", "content-type")}
        answers.append((response.status_code, headers, response.json()))
    assert answers[0][0] == 401
    assert answers[0][1]["www-authenticate"] == "Bearer"
    assert answers[0][2]["detail"] == SIGN_IN_FAILED
    assert all(answer == answers[0] for answer in answers)


@pytest.mark.parametrize(
    "body",
    [
        {"email": "ada@example.com"},
        {"email": "ada@example.com", "password": PASSWORD, "scope": "all"},
        {"email": "ada@example.com", "password": 42},
        ["ada@example.com", PASSWORD],
    ],
)
def test_a_token_request_of_another_shape_is_422(client: TestClient, body: object) -> None:
    sign_up(client)
    assert client.post("/api/tokens", json=body).status_code == 422


# Which tokens are accepted.


@pytest.mark.parametrize(
    ("authorization", "challenge"),
    [
        (None, "Bearer"),
        ("Basic YWRhOnNlY3JldA==", "Bearer"),
        ("Bearer", 'Bearer error="invalid_token"'),  # an empty token, as simplejwt has it
        ("Bearer not.a.token", 'Bearer error="invalid_token"'),
        ("Bearer two words", 'Bearer error="invalid_token"'),
    ],
)
def test_401_says_whether_a_token_was_sent(
    client: TestClient, authorization: str | None, challenge: str
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.get("/api/users", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == challenge
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Unauthorized"


def test_the_scheme_is_case_insensitive(client: TestClient) -> None:
    _, headers = sign_up(client)
    token = headers["Authorization"].removeprefix("Bearer ")
    assert client.get("/api/users", headers={"Authorization": f"bEARER {token}"}).status_code == 200


def valid_claims(client: TestClient) -> dict:
    """The claims of a fresh token of a new user."""
    _, headers = sign_up(client)
    token = headers["Authorization"].removeprefix("Bearer ")
    return jwt.decode(token, options={"verify_signature": False})


@pytest.mark.parametrize(
    "change",
    [
        {"exp": int(time.time()) - 1},  # expired: no leeway
        {"token_type": "refresh"},
        {"jti": None},
        {"sub": "999999"},  # no such user
        {"sub": "01"},
        {"sub": "9223372036854775808"},  # no id can be that large
        {"hash_password": "0" * 32},  # another password's
        {"hash_password": None},
    ],
)
def test_a_token_with_claims_of_another_kind_is_invalid(
    client: TestClient, change: dict[str, object]
) -> None:
    claims = valid_claims(client)
    assert client.get("/api/users", headers=bearer(token_with(**claims))).status_code == 200
    claims = {key: value for key, value in (claims | change).items() if value is not None}
    response = client.get("/api/users", headers=bearer(token_with(**claims)))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_a_token_signed_with_another_key_is_invalid(client: TestClient) -> None:
    claims = valid_claims(client)
    token = jwt.encode(claims, "another key of thirty-two bytes or more", algorithm="HS256")
    response = client.get("/api/users", headers=bearer(token))
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_a_new_password_revokes_the_tokens_issued_before(client: TestClient) -> None:
    user, headers = sign_up(client)
    new_password = "a brand new password"
    response = client.patch(
        f"/api/users/{user['id']}", json={"password": new_password}, headers=headers
    )
    assert response.status_code == 200
    assert "password" not in response.json()
    # The token that made the change included.
    assert client.get("/api/users", headers=headers).status_code == 401
    token = sign_in(client, "ada@example.com", new_password)
    assert client.get("/api/users", headers=bearer(token)).status_code == 200
    # A replace without a password keeps the password.
    body = {"name": "Ada King", "email": "ada@example.com"}
    assert (
        client.put(f"/api/users/{user['id']}", json=body, headers=bearer(token)).status_code == 200
    )
    assert client.get("/api/users", headers=bearer(token)).status_code == 200


def test_deleting_a_user_revokes_its_tokens(client: TestClient) -> None:
    user, headers = sign_up(client)
    assert client.delete(f"/api/users/{user['id']}", headers=headers).status_code == 204
    response = client.get("/api/users", headers=headers)
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


# The order of the answers: 404 (path), 405, 401, 413, 415, 400, 422, 404 (user), 403, 409.


@pytest.fixture
def two_users(client: TestClient) -> tuple[dict, dict, dict[str, str]]:
    """Ada, signed in; Grace; and the headers of Ada's requests."""
    ada, headers = sign_up(client)
    grace, _ = sign_up(client, email="grace@example.com")
    return ada, grace, headers


TOO_LARGE = b"{" + b" " * MAX_BODY_BYTES + b"}"
JSON = {"Content-Type": "application/json"}
TEXT = {"Content-Type": "text/plain"}


@pytest.mark.parametrize(
    ("method", "path", "signed_in", "content", "content_type", "status"),
    [
        ("TRACE", "{ada}", False, None, JSON, 405),
        ("PUT", "{ada}", False, TOO_LARGE, TEXT, 401),
        ("PUT", "{nobody}", False, b"{", JSON, 401),
        ("PUT", "{grace}", False, b"{}", JSON, 401),
        ("PUT", "{ada}", True, TOO_LARGE, TEXT, 413),
        ("PUT", "{ada}", True, b"{", TEXT, 415),
        ("PUT", "{ada}", True, b"{", JSON, 400),
        ("PUT", "{nobody}", True, b'{"name": ""}', JSON, 422),
        ("PATCH", "{nobody}", True, b'{"password": "short"}', JSON, 422),
        ("PUT", "{nobody}", True, b'{"name": "Ada", "email": "grace@example.com"}', JSON, 404),
        ("PUT", "{grace}", True, b'{"name": "Ada", "email": "grace@example.com"}', JSON, 403),
        ("PATCH", "{grace}", True, b'{"email": "ada@example.com"}', JSON, 403),
        ("PATCH", "{ada}", True, b'{"email": "grace@example.com"}', JSON, 409),
        ("DELETE", "{nobody}", False, None, JSON, 401),
        ("DELETE", "{nobody}", True, None, JSON, 404),
        ("DELETE", "{grace}", True, None, JSON, 403),
        ("GET", "?limit=0", False, None, JSON, 401),
        ("GET", "?limit=0", True, None, JSON, 422),
        ("GET", "{nobody}", True, None, JSON, 404),
        ("GET", "{grace}", True, None, JSON, 200),  # anyone signed in reads anyone
    ],
)
def test_the_answers_come_in_the_contract_s_order(
    client: TestClient,
    two_users: tuple[dict, dict, dict[str, str]],
    method: str,
    path: str,
    signed_in: bool,
    content: bytes | None,
    content_type: dict[str, str],
    status: int,
) -> None:
    ada, grace, headers = two_users
    path = path.format(ada=f"/{ada['id']}", grace=f"/{grace['id']}", nobody="/999999")
    headers = content_type | (headers if signed_in else {})
    response = client.request(method, "/api/users" + path, content=content, headers=headers)
    assert response.status_code == status, response.text


def test_create_user_and_create_token_ignore_authorization(client: TestClient) -> None:
    headers = {"Authorization": "Bearer expired.or.garbage"}
    body = {"name": "Ada", "email": "ada@example.com", "password": PASSWORD}
    assert client.post("/api/users", json=body, headers=headers).status_code == 201
    credentials = {"email": "ada@example.com", "password": PASSWORD}
    assert client.post("/api/tokens", json=credentials, headers=headers).status_code == 200
    assert client.options("/api/tokens", headers=headers).headers["allow"] == "OPTIONS, POST"


def test_slow_bodies_hold_no_session(client: TestClient) -> None:
    """More PUTs and PATCHes than POOL_SIZE whose bodies are late do not stall the others."""
    ada, headers = sign_up(client)
    url = f"/api/users/{ada['id']}"
    statuses = []

    async def main() -> int:
        body_sent = anyio.Event()

        async def send_slowly(http: httpx.AsyncClient, method: str, asked: anyio.Event) -> None:
            async def late_body() -> AsyncIterator[bytes]:
                asked.set()
                await body_sent.wait()
                yield b'{"name": "Ada King", "email": "ada@example.com"}'

            body_headers = headers | {"Content-Type": "application/json"}
            response = await http.request(method, url, content=late_body(), headers=body_headers)
            statuses.append(response.status_code)

        # TestClient hands the app a body whole; httpx's ASGI transport gives the app each
        # chunk when the app asks for it, as a server does, so a chunk can keep it waiting.
        transport = httpx.ASGITransport(app=app)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
            anyio.create_task_group() as task_group,
        ):
            try:
                for method in ["PUT", "PATCH"] * POOL_SIZE:
                    asked = anyio.Event()
                    task_group.start_soon(send_slowly, http, method, asked)
                    # Before, each one took a session, then waited for its body: the ninth
                    # waited for a session, and was never asked for its body.
                    with anyio.fail_after(5):
                        await asked.wait()
                with anyio.fail_after(5):
                    return (await http.get(url, headers=headers)).status_code
            finally:
                body_sent.set()

    assert anyio.run(main) == 200
    assert statuses == [200] * 2 * POOL_SIZE


# The command line.


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """A SQLite file migrated to head, which the CLI reaches through DATABASE_URL."""
    database = tmp_path / "users.sqlite3"
    engine = create_engine(f"sqlite:///{database}")
    migrate(engine)
    engine.dispose()
    return database


def set_password(database: Path, email: str, stdin: str) -> subprocess.CompletedProcess:
    """Run `python -m impl_fastapi.set_password EMAIL`, its standard input not a terminal."""
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    return subprocess.run(
        [sys.executable, "-m", "impl_fastapi.set_password", email],
        cwd=ROOT,
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
    )


def test_the_cli_sets_a_password_that_signs_in(client: TestClient, tmp_path: Path) -> None:
    database = tmp_path / "users.sqlite3"  # the client's
    _, headers = sign_up(client)
    store_hash(database, "ada@example.com", None)  # a user from before passwords
    result = set_password(database, "Ada@Example.com", "the password from a terminal\n")
    assert result.returncode == 0, result.stderr
    assert "ada@example.com" in result.stdout
    assert "the password from a terminal" not in result.stdout + result.stderr
    assert stored_hash(database, "ada@example.com").startswith("$argon2id$v=19$")
    sign_in(client, "ada@example.com", "the password from a terminal")
    # A new password revokes the tokens issued before, from the CLI too.
    assert client.get("/api/users", headers=headers).status_code == 401


@pytest.mark.parametrize(
    ("email", "stdin", "message"),
    [
        ("nobody@example.com", "a good long password\n", "No user has the email"),
        ("ada@example.com", "too short\n", "15 to 128 characters"),
        ("ada@example.com", "", "15 to 128 characters"),
    ],
)
def test_the_cli_refuses_an_unknown_email_or_a_bad_password(
    database: Path, email: str, stdin: str, message: str
) -> None:
    with sqlite3.connect(database) as connection:
        connection.execute(
            "INSERT INTO users (name, email, created_at) VALUES ('Ada', 'ada@example.com', "
            "'2026-01-02 03:04:05.000000')"
        )
    result = set_password(database, email, stdin)
    assert result.returncode == 1
    assert message in result.stderr
    assert stored_hash(database, "ada@example.com") is None


# Start-up.


@pytest.mark.parametrize("secret", ["", "thirty-one bytes are too few...", "é" * 15 + "a"])
def test_the_app_refuses_to_start_without_a_long_enough_jwt_secret(
    tmp_path: Path, secret: str
) -> None:
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'users.sqlite3'}"}
    environment["JWT_SECRET"] = secret
    code = (
        "from fastapi.testclient import TestClient\n"
        "from impl_fastapi.main import app\n"
        "with TestClient(app):\n"  # runs the lifespan
        "    pass\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "JWT_SECRET must be set to a key of at least 32 bytes" in result.stderr
    assert not (tmp_path / "users.sqlite3").exists()


def test_the_migration_adopts_a_password_hash_column_another_tool_added(tmp_path: Path) -> None:
    # As Django's migration writes it, before this history's revision runs.
    database = tmp_path / "users.sqlite3"
    engine = create_engine(f"sqlite:///{database}")
    migrate(engine, "2368aaa67248")  # the users table
    with engine.begin() as connection:
        connection.exec_driver_sql('ALTER TABLE users ADD COLUMN "password_hash" varchar(255) NULL')
    migrate(engine)
    engine.dispose()
    # As `alembic check` does: nothing left for autogenerate to write.
    run = [sys.executable, "-m", "alembic", "--config", "impl_fastapi/alembic.ini", "check"]
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    assert subprocess.run(run, cwd=ROOT, env=environment, capture_output=True).returncode == 0
