"""The engine and the per-request session; `python -m impl_fastapi.database` creates the table."""

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import Depends
from sqlalchemy import event
from sqlmodel import Session, SQLModel, create_engine

from . import models  # noqa: F401  (registers the users table on SQLModel.metadata)


def database_url() -> str:
    """DATABASE_URL, or the SQLite file var/users.sqlite3 in this folder."""
    # SQLAlchemy 2.1 reads the plain `postgresql://user@host:port/db` form with psycopg 3,
    # so a PostgreSQL URL is used as it is given.
    if url := os.environ.get("DATABASE_URL"):
        return url
    folder = Path(__file__).parent / "var"
    folder.mkdir(exist_ok=True)
    return f"sqlite:///{folder / 'users.sqlite3'}"


url = database_url()
# SQLite objects stay in the thread that made them unless told otherwise, and FastAPI runs the
# session dependency and a sync handler in different threads of its pool.
connect_args = {"check_same_thread": False} if url.startswith("sqlite") else {}
# Creating the engine does not connect. pool_pre_ping replaces pooled connections that died
# while the database was away, so the first request after it is back succeeds.
engine = create_engine(url, connect_args=connect_args, pool_pre_ping=True)


# SQLite's default rollback journal blocks readers while a write commits; its write-ahead log
# lets them read on (make bench measures both).
journal_mode = os.environ.get("SQLITE_JOURNAL_MODE", "WAL")


def set_journal_mode(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    """Put a new SQLite connection in SQLITE_JOURNAL_MODE (default WAL)."""
    dbapi_connection.execute(f"PRAGMA journal_mode={journal_mode}")


if engine.dialect.name == "sqlite":
    event.listen(engine, "connect", set_journal_mode)


def create_db_and_tables() -> None:
    """Create the users table if it does not exist."""
    SQLModel.metadata.create_all(engine)


def get_session() -> Iterator[Session]:
    """Give a request its own session, closed when the response is sent."""
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


if __name__ == "__main__":
    create_db_and_tables()
