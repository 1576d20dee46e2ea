from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, create_engine


@pytest.fixture
def app() -> FastAPI:
    # Imported here, not at collection: impl_fastapi.database reads DATABASE_URL on import,
    # and the contract suite sets it before it builds the app in the same pytest run.
    from impl_fastapi.main import app

    return app


def client_on(app: FastAPI, engine: Engine) -> Iterator[TestClient]:
    """Yield a test client whose requests use engine, as FastAPI's testing guide does."""
    from impl_fastapi.database import get_session

    def get_session_override() -> Iterator[Session]:
        with Session(engine) as session:
            yield session

    app.dependency_overrides[get_session] = get_session_override
    yield TestClient(app)
    app.dependency_overrides.clear()


@pytest.fixture
def client(app: FastAPI, tmp_path: Path) -> Iterator[TestClient]:
    """A test client on a fresh SQLite file with the users table."""
    engine = create_engine(
        f"sqlite:///{tmp_path / 'users.sqlite3'}", connect_args={"check_same_thread": False}
    )
    SQLModel.metadata.create_all(engine)
    yield from client_on(app, engine)
    engine.dispose()


@pytest.fixture
def unreachable_client(app: FastAPI) -> Iterator[TestClient]:
    """A test client whose database does not answer: nothing listens on port 9."""
    engine = create_engine("postgresql://postgres@127.0.0.1:9/users", pool_pre_ping=True)
    yield from client_on(app, engine)
    engine.dispose()
