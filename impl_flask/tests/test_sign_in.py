"""What the contract suite cannot see of sign-in: start-up, stored hashes, tokens, the CLI."""

import time
from pathlib import Path
from types import SimpleNamespace

import jwt
import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect

from impl_flask import create_app
from impl_flask.auth import password_fingerprint
from impl_flask.models import User, db

PASSWORD = "correct horse battery"


def sign_up(client: FlaskClient, email: str, password: str = PASSWORD) -> int:
    """Create a user with a password and return its id."""
    body = {"name": "Ada Lovelace", "email": email, "password": password}
    response = client.post("/api/users", json=body)
    assert response.status_code == 201, response.json
    return response.json["id"]


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> int:
    """Return create_token's status for an email and a password."""
    return client.post("/api/tokens", json={"email": email, "password": password}).status_code


def token(client: FlaskClient, email: str, password: str = PASSWORD) -> str:
    """Take a token from create_token and return it."""
    response = client.post("/api/tokens", json={"email": email, "password": password})
    assert response.status_code == 200, response.json
    return response.json["access_token"]


def stored_hash(app: Flask, user_id: int) -> str | None:
    with app.app_context():
        return db.session.get(User, user_id).password_hash


@pytest.mark.parametrize("secret", [None, "", "31 bytes " + "." * 22, "é" * 15])
def test_create_app_refuses_to_start_without_a_key_of_32_bytes(
    secret: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JWT_SECRET")
    config = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "JWT_SECRET": secret}
    with pytest.raises(RuntimeError, match="JWT_SECRET must be set to a key of at least 32 bytes"):
        create_app(config)
    create_app(config | {"JWT_SECRET": "é" * 16})  # 32 bytes in UTF-8


def test_the_hash_is_a_bare_argon2id_phc_string_with_the_configured_parameters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARGON2_MEMORY_COST", "16")
    monkeypatch.setenv("ARGON2_TIME_COST", "2")
    monkeypatch.setenv("ARGON2_PARALLELISM", "2")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'users.sqlite3'}"})
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    user_id = sign_up(app.test_client(), "ada@example.com")
    password_hash = stored_hash(app, user_id)
    assert password_hash.startswith("$argon2id$v=19$m=16,t=2,p=2$")
    assert PasswordHasher().verify(password_hash, PASSWORD)


def test_production_parameters_are_owasps_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ARGON2_MEMORY_COST", "ARGON2_TIME_COST", "ARGON2_PARALLELISM"):
        monkeypatch.delenv(name)
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        hasher = app.extensions["password_hasher"]
        assert (hasher.memory_cost, hasher.time_cost, hasher.parallelism) == (19456, 2, 1)
        assert app.extensions["dummy_password_hash"].startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_a_hash_with_other_parameters_verifies_and_is_not_rehashed(
    app: Flask, client: FlaskClient
) -> None:
    # What the other two implementations write: argon2-cffi's PHC string, any parameters.
    other = PasswordHasher(memory_cost=32, time_cost=3, parallelism=2).hash(PASSWORD)
    user_id = sign_up(client, "ada@example.com")
    with app.app_context():
        db.session.get(User, user_id).password_hash = other
        db.session.commit()
    assert sign_in(client, "ada@example.com") == 200
    assert sign_in(client, "ada@example.com", PASSWORD + "!") == 401
    # A new hash would revoke the user's tokens, those the other implementations issued too.
    assert stored_hash(app, user_id) == other


def test_a_password_is_normalised_with_nfkc(client: FlaskClient) -> None:
    composed = "Beyoncé's ﬁrst horse battery"  # é as one code point, and the ligature ﬁ
    decomposed = "Beyonce\u0301's first horse battery"
    sign_up(client, "ada@example.com", composed)
    assert sign_in(client, "ada@example.com", decomposed) == 200


def test_a_user_without_a_password_cannot_sign_in(app: Flask, client: FlaskClient) -> None:
    user_id = sign_up(client, "ada@example.com")
    with app.app_context():  # as a user created before passwords existed
        db.session.get(User, user_id).password_hash = None
        db.session.commit()
    assert sign_in(client, "ada@example.com") == 401


def test_the_token_carries_simplejwts_access_token_claims(app: Flask, client: FlaskClient) -> None:
    user_id = sign_up(client, "ada@example.com")
    before = int(time.time())
    access_token = token(client, "ada@example.com")
    assert jwt.get_unverified_header(access_token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(access_token, app.config["JWT_SECRET"], algorithms=["HS256"])
    assert list(claims) == ["token_type", "exp", "iat", "jti", "sub", "hash_password"]
    assert claims["token_type"] == "access"
    assert before <= claims["iat"] <= time.time()
    assert claims["exp"] == claims["iat"] + 900
    assert len(claims["jti"]) == 32
    assert int(claims["jti"], 16) >= 0
    assert claims["sub"] == str(user_id)
    assert claims["hash_password"] == password_fingerprint(stored_hash(app, user_id))
    assert claims["hash_password"] == claims["hash_password"].upper()


def forged_tokens(app: Flask, user_id: int, password_hash: str) -> dict[str, str]:
    """Tokens that are refused, by what is wrong with them."""
    now = int(time.time())
    claims = {
        "token_type": "access",
        "exp": now + 900,
        "iat": now,
        "jti": "0" * 32,
        "sub": str(user_id),
        "hash_password": password_fingerprint(password_hash),
    }
    key = app.config["JWT_SECRET"]

    def sign(changes: dict, signing_key: str = key, algorithm: str = "HS256") -> str:
        edited = {name: value for name, value in claims.items() if name not in changes}
        edited |= {name: value for name, value in changes.items() if value is not None}
        return jwt.encode(edited, signing_key, algorithm=algorithm)

    return {
        "valid": sign({}),
        "another key": sign({}, "another-signing-key-of-32-bytes-or-more"),
        "HS512": sign({}, algorithm="HS512"),
        "unsigned": jwt.encode(claims, None, algorithm="none"),
        "expired": sign({"iat": now - 901, "exp": now - 1}),
        "issued in the future": sign({"iat": now + 60}),
        "a refresh token": sign({"token_type": "refresh"}),
        "no token_type": sign({"token_type": None}),
        "no exp": sign({"exp": None}),
        "no iat": sign({"iat": None}),
        "no jti": sign({"jti": None}),
        "no sub": sign({"sub": None}),
        "an integer sub": sign({"sub": user_id}),
        "a sub that is no id": sign({"sub": f"0{user_id}"}),
        "a sub beyond bigint": sign({"sub": str(2**63)}),
        "no such user": sign({"sub": str(user_id + 1)}),
        "another password": sign({"hash_password": password_fingerprint(password_hash + "x")}),
        "no hash_password": sign({"hash_password": None}),
    }


def test_a_token_is_refused_unless_every_check_passes(app: Flask, client: FlaskClient) -> None:
    user_id = sign_up(client, "ada@example.com")
    for reason, forged in forged_tokens(app, user_id, stored_hash(app, user_id)).items():
        response = client.get(
            f"/api/users/{user_id}", headers={"Authorization": f"Bearer {forged}"}
        )
        if reason == "valid":
            assert response.status_code == 200, reason
        else:
            assert response.status_code == 401, reason
            assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"', reason


def test_set_password_from_standard_input(app: Flask, client: FlaskClient) -> None:
    user_id = sign_up(client, "ada@example.com")
    old_token = token(client, "ada@example.com")
    new_password = "a new and longer password"
    result = app.test_cli_runner().invoke(
        args=["set-password", "ADA@example.com"], input=new_password + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "ada@example.com" in result.output
    assert new_password not in result.output
    assert sign_in(client, "ada@example.com") == 401
    assert sign_in(client, "ada@example.com", new_password) == 200
    # The new hash revoked the token issued before it.
    headers = {"Authorization": f"Bearer {old_token}"}
    assert client.get(f"/api/users/{user_id}", headers=headers).status_code == 401


def test_set_password_asks_twice_on_a_terminal(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_up(client, "ada@example.com")
    terminal = SimpleNamespace(stdin=SimpleNamespace(isatty=lambda: True))
    monkeypatch.setattr("impl_flask.set_password.sys", terminal)
    new_password = "a new and longer password"
    result = app.test_cli_runner().invoke(
        args=["set-password", "ada@example.com"],
        input=f"{new_password}\nanother one entirely\n{new_password}\n{new_password}\n",
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output  # asked again, both times
    assert new_password not in result.output  # no echo
    assert sign_in(client, "ada@example.com", new_password) == 200


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("nobody@example.com", "a new and longer password", "No user has the email"),
        ("ada@example.com", "too short", "15 to 128 characters"),
        ("ada@example.com", "a new and longer\0password", "without NUL"),
        ("ada@example.com", "", "15 to 128 characters"),
    ],
)
def test_set_password_refuses_an_unknown_email_or_an_invalid_password(
    app: Flask, client: FlaskClient, email: str, password: str, message: str
) -> None:
    user_id = sign_up(client, "ada@example.com")
    before = stored_hash(app, user_id)
    result = app.test_cli_runner().invoke(args=["set-password", email], input=password + "\n")
    assert result.exit_code == 1
    assert message in result.output
    assert stored_hash(app, user_id) == before


def test_the_migration_adopts_a_password_hash_column_another_tool_added(tmp_path: Path) -> None:
    # Django's migration may have run first: the same column, in Django's spelling.
    database = tmp_path / "users.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "9f66b80abf64"]).exit_code == 0
    with app.app_context(), db.engine.begin() as connection:
        connection.exec_driver_sql('ALTER TABLE users ADD COLUMN "password_hash" varchar(255) NULL')
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["db", "check"]).exit_code == 0
    with app.app_context():
        columns = inspect(db.engine).get_columns("users")
    assert [column["name"] for column in columns].count("password_hash") == 1
