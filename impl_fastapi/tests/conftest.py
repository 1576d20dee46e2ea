from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, create_engine

from impl_fastapi.database import get_session
from impl_fastapi.main import app


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
    """A test client on a fresh SQLite file with the users table."""
    engine = create_engine(
        f"sqlite:///{tmp_path / 'users.sqlite3'}", connect_args={"check_same_thread": False}
    )
    SQLModel.metadata.create_all(engine)
    yield from client_on(engine)
    engine.dispose()


@pytest.fixture
def unreachable_client() -> Iterator[TestClient]:
    """A test client whose database does not answer: nothing listens on port 9."""
    engine = create_engine("postgresql://postgres@127.0.0.1:9/users", pool_pre_ping=True)
    yield from client_on(engine)
    engine.dispose()
