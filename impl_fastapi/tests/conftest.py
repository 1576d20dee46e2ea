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


def client_on(engine: Engine) -> Iterator[TestClient]:
    """Yield a test client whose requests use engine, as FastAPI's testing guide does."""

    def get_session_override() -> Iterator[Session]:
        with Session(engine, expire_on_commit=False) as session:  # as get_session does
            yield session

    app.dependency_overrides[get_session] = get_session_override
    yield TestClient(app)
    app.dependency_overrides.clear()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """A test client on a fresh SQLite file, migrated as `alembic upgrade head` does."""
    engine = create_engine(
        f"sqlite:///{tmp_path / 'users.sqlite3'}", connect_args={"check_same_thread": False}
    )
    with engine.begin() as connection:
        config = Config(ALEMBIC_INI)
        # migrations/env.py migrates this connection's database, not the app's engine's.
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    yield from client_on(engine)
    engine.dispose()


@pytest.fixture
def unreachable_client() -> Iterator[TestClient]:
    """A test client whose database does not answer: nothing listens on port 9."""
    engine = create_engine("postgresql://postgres@127.0.0.1:9/users", pool_pre_ping=True)
    yield from client_on(engine)
    engine.dispose()
