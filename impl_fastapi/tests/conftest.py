from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, create_engine

from impl_fastapi.database import get_session
from impl_fastapi.main import app

ALEMBIC_INI = Path(__file__).parents[1] / "alembic.ini"
PASSWORD = "correct horse battery staple"


def sign_up(
    client: TestClient, email: str = "ada@example.com", password: str = PASSWORD
) -> tuple[dict, dict[str, str]]:
    """Create a user and sign in: its body, and the headers that call the API as that user."""
    body = {"name": "Ada Lovelace", "email": email, "password": password}
    response = client.post("/api/users", json=body)
    assert response.status_code == 201, response.text
    return response.json(), {"Authorization": f"Bearer {sign_in(client, email, password)}"}


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Take a token from create_token and return it."""
    response = client.post("/api/tokens", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def client_on(engine: Engine) -> Iterator[TestClient]:
    """Yield a test client whose requests use engine, as FastAPI's testing guide does."""

    def get_session_override() -> Iterator[Session]:
        with Session(engine, expire_on_commit=False) as session:  # as get_session does
            yield session

    app.dependency_overrides[get_session] = get_session_override
    yield TestClient(app)
    app.dependency_overrides.clear()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Migrate engine's database as `alembic upgrade` does, up to revision."""
    with engine.begin() as connection:
        config = Config(ALEMBIC_INI)
        # migrations/env.py migrates this connection's database, not the app's engine's.
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """A test client on a fresh SQLite file, migrated as `alembic upgrade head` does."""
    engine = create_engine(
        f"sqlite:///{tmp_path / 'users.sqlite3'}", connect_args={"check_same_thread": False}
    )
    migrate(engine)
    yield from client_on(engine)
    engine.dispose()


@pytest.fixture
def unreachable_client() -> Iterator[TestClient]:
    """A test client whose database does not answer: nothing listens on port 9."""
    engine = create_engine("postgresql://postgres@127.0.0.1:9/users", pool_pre_ping=True)
    yield from client_on(engine)
    engine.dispose()
