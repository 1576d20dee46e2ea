"""The users API, built with Flask and Flask-SQLAlchemy.

Two layers: the application as Flask's tutorial writes it (create_app() here, models.py,
schemas.py, views.py), and contract/, which switches off the Flask defaults that would
break the strict contract.
"""

import os
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event

from . import auth, contract, views
from .models import (
    begin_sqlite_transaction,
    db,
    migrate,
    set_journal_mode,
    use_sqlite_transactions,
)
from .set_password import set_password_command

# Flask's instance folder is where files outside version control live, and where
# Flask-SQLAlchemy puts a relative SQLite path; the project calls it var/.
INSTANCE_PATH = Path(__file__).resolve().parent / "var"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure the users API application."""
    app = Flask(__name__, instance_path=str(INSTANCE_PATH))
    database_url = os.environ.get("DATABASE_URL", "sqlite:///users.sqlite3")
    # Test each pooled connection before use, so that connections a database restart
    # killed are replaced instead of failing requests once it is back.
    engine_options: dict[str, Any] = {"pool_pre_ping": True}
    if database_url.startswith("postgresql"):
        # Each statement commits by itself, as in Django, unless a view asks for a
        # transaction (list_users). Every write here is one statement, atomic on its own;
        # without this a get costs BEGIN, SELECT and ROLLBACK, three round trips to the
        # database instead of one (README, "Where the database is not on loopback").
        engine_options["isolation_level"] = "AUTOCOMMIT"
    if pool_size := os.environ.get("DATABASE_POOL_SIZE"):
        # Set by gunicorn.conf.py to its worker's threads, each of which holds at most one
        # connection: the pool keeps that many, and opens and closes none beyond them
        # (SQLAlchemy's default pool, 5 and 10 overflow, would under more than 5 threads).
        engine_options |= {"pool_size": int(pool_size), "max_overflow": 0}
    app.config.from_mapping(
        # SQLAlchemy 2.1 reads a plain postgresql:// URL with psycopg 3, the driver installed.
        SQLALCHEMY_DATABASE_URI=database_url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options,
        # SQLite's default rollback journal blocks readers while a write commits; its
        # write-ahead log lets them read on (make bench measures both).
        SQLITE_JOURNAL_MODE=os.environ.get("SQLITE_JOURNAL_MODE", "WAL"),
        # The key that signs the access tokens: required, no default (auth.init_app checks it).
        JWT_SECRET=os.environ.get("JWT_SECRET"),
        # argon2id's cost for new hashes: OWASP's minimum, which the three implementations
        # share (docs/sign-in.md); the contract suite makes it cheap.
        ARGON2_MEMORY_COST=int(os.environ.get("ARGON2_MEMORY_COST", "19456")),  # KiB
        ARGON2_TIME_COST=int(os.environ.get("ARGON2_TIME_COST", "2")),
        ARGON2_PARALLELISM=int(os.environ.get("ARGON2_PARALLELISM", "1")),
    )
    if test_config is not None:
        app.config.from_mapping(test_config)

    db.init_app(app)
    with app.app_context():  # the engine exists from init_app on; nothing connects yet
        if db.engine.dialect.name == "sqlite":
            journal_mode = partial(set_journal_mode, app.config["SQLITE_JOURNAL_MODE"])
            event.listen(db.engine, "connect", journal_mode)
            event.listen(db.engine, "connect", use_sqlite_transactions)
            event.listen(db.engine, "begin", begin_sqlite_transaction)
    # Before the blueprint: its routes use the contract layer's user_id converter.
    contract.init_app(app)
    migrate.init_app(app)  # the `flask db` commands: `flask db upgrade` migrates the database
    auth.init_app(app)  # refuses to start without JWT_SECRET
    app.cli.add_command(set_password_command)
    app.register_blueprint(views.bp)

    return app
