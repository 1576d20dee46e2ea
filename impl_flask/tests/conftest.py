from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from impl_flask import create_app


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """What create_app() reads from the environment: a signing key, argon2id at its cheapest."""
    # 64 bytes: enough for HS512 too, which test_sign_in signs a token with (and the app refuses).
    monkeypatch.setenv("JWT_SECRET", "impl-flask-tests-signing-key-".ljust(64, "0"))
    monkeypatch.setenv("ARGON2_MEMORY_COST", "8")
    monkeypatch.setenv("ARGON2_TIME_COST", "1")
    monkeypatch.setenv("ARGON2_PARALLELISM", "1")


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    """The app on a fresh SQLite file, migrated as `flask db upgrade` does."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'users.sqlite3'}"})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
