"""The engine and the per-request session; Alembic creates the table (alembic.ini, migrations/)."""

import sqlite3
from collections.abc import Iterator
from functools import lru_cache
from typing import Annotated

from fastapi import Depends
from sqlalchemy import Connection, Engine, event
from sqlmodel import Session, create_engine

from .settings import DEFAULT_DATABASE, DEFAULT_DATABASE_URL, get_settings

# Each session holds at most one connection, and SessionDep lets at most POOL_SIZE sessions
# live at once: a worker's whole pool, as many as the threads of a gunicorn worker in the
# other two implementations (their gunicorn.conf.py). SQLAlchemy's default pool (5, and 10
# overflow connections opened and closed as needed) under FastAPI's 40 threads stalled the
# server: see SessionDep.
POOL_SIZE = 8


@lru_cache
def get_engine() -> Engine:
    """Create the engine from the settings on first use; creating it does not connect."""
    url = get_settings().database_url
    if url == DEFAULT_DATABASE_URL:
        DEFAULT_DATABASE.parent.mkdir(exist_ok=True)  # SQLite creates the file, not its folder
    # SQLite objects stay in the thread that made them unless told otherwise, and FastAPI runs
    # the session dependency and a sync handler in different threads of its pool.
    connect_args = {"check_same_thread": False} if url.startswith("sqlite") else {}
    # On PostgreSQL each statement commits by itself, as in Django, unless a path operation
    # asks for a transaction (list_users). Every write here is one statement, atomic on its
    # own; without this a get costs BEGIN, SELECT and ROLLBACK, three round trips to the
    # database instead of one (README, "Where the database is not on loopback").
    isolation_level = "AUTOCOMMIT" if url.startswith("postgresql") else None  # None: the default
    # pool_pre_ping replaces pooled connections that died while the database was away, so the
    # first request after it is back succeeds.
    engine = create_engine(
        url,
        connect_args=connect_args,
        isolation_level=isolation_level,
        pool_pre_ping=True,
        pool_size=POOL_SIZE,
        max_overflow=0,
        pool_timeout=10,  # then 503: see contract/__init__.py
    )
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", set_journal_mode)
        event.listen(engine, "connect", use_sqlite_transactions)
        event.listen(engine, "begin", begin_sqlite_transaction)
    return engine


def set_journal_mode(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    """Put a new SQLite connection in SQLITE_JOURNAL_MODE (default WAL)."""
    dbapi_connection.execute(f"PRAGMA journal_mode={get_settings().sqlite_journal_mode}")


def use_sqlite_transactions(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    """Stop Python's sqlite3 from beginning transactions: SQLAlchemy begins them instead."""
    # Python's sqlite3 (until 3.12's autocommit attribute) only begins a transaction before
    # an INSERT, UPDATE or DELETE, so two SELECTs of one session read two snapshots.
    # SQLAlchemy's documentation for pysqlite gives this remedy: no sqlite3 transactions,
    # and BEGIN whenever SQLAlchemy begins one (begin_sqlite_transaction).
    dbapi_connection.isolation_level = None


def begin_sqlite_transaction(connection: Connection) -> None:
    """Begin each SQLAlchemy transaction on SQLite with BEGIN (a deferred transaction)."""
    connection.exec_driver_sql("BEGIN")


def get_session() -> Iterator[Session]:
    """Give a request its own session, closed once its response is made."""
    # A session expires every object when it commits, and reading one afterwards reloads it
    # with a new SELECT (the tutorial's session.refresh()): a user deleted in between would
    # make a request that succeeded fail. An answer describes the row as it was written.
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


# FastAPI runs `def` path operations, and the response validation after them, in a pool of
# 40 threads, and by default a session dependency is closed after the response is sent. With
# more requests than pooled connections, every thread ended up waiting for a connection,
# and every connection was held by a session whose request waited for a thread: the server
# stopped answering. max_concurrency makes requests beyond POOL_SIZE wait for a session
# without taking a thread, so none ever waits for a connection; scope="function" closes the
# session, and frees its place, once the response is made, before it is sent.
SessionDep = Annotated[Session, Depends(get_session, scope="function", max_concurrency=POOL_SIZE)]
