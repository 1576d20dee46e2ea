from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from impl_flask import create_app


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
