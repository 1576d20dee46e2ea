"""The users API, built with Flask and Flask-SQLAlchemy."""

import os
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from . import errors, views
from .models import (
    begin_sqlite_transaction,
    db,
    init_db_command,
    set_journal_mode,
    use_sqlite_transactions,
)

# Flask's instance folder is where files outside version control live, and where
# Flask-SQLAlchemy puts a relative SQLite path; the project calls it var/.
INSTANCE_PATH = Path(__file__).resolve().parent / "var"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure the users API application."""
    app = Flask(__name__, instance_path=str(INSTANCE_PATH))
    app.config.from_mapping(
        # SQLAlchemy 2.1 reads a plain postgresql:// URL with psycopg 3, the driver installed.
        SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL", "sqlite:///users.sqlite3"),
        # Test each pooled connection before use, so that connections a database restart
        # killed are replaced instead of failing requests once it is back.
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        # Flask reads bodies of any size by default; the contract answers 413 above 64 KiB.
        # Werkzeug checks a Content-Length against it before reading; for a chunked body,
        # see parsers.read_json_body().
        MAX_CONTENT_LENGTH=65536,
        # SQLite's default rollback journal blocks readers while a write commits; its
        # write-ahead log lets them read on (make bench measures both).
        SQLITE_JOURNAL_MODE=os.environ.get("SQLITE_JOURNAL_MODE", "WAL"),
    )
    if test_config is not None:
        app.config.from_mapping(test_config)

    # Flask's JSON provider sorts keys, escapes non-ASCII and indents in debug mode; the
    # contract keeps members in their order and writes compact UTF-8.
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.json.compact = True

    # Werkzeug redirects /api//users to /api/users (308); the contract never redirects.
    # (Its trailing-slash redirects only apply to rules that end with a slash: none here.)
    app.url_map.merge_slashes = False
    app.url_map.converters["user_id"] = views.UserIdConverter

    db.init_app(app)
    with app.app_context():  # the engine exists from init_app on; nothing connects yet
        if db.engine.dialect.name == "sqlite":
            journal_mode = partial(set_journal_mode, app.config["SQLITE_JOURNAL_MODE"])
            event.listen(db.engine, "connect", journal_mode)
            event.listen(db.engine, "connect", use_sqlite_transactions)
            event.listen(db.engine, "begin", begin_sqlite_transaction)
    app.cli.add_command(init_db_command)
    app.register_blueprint(views.bp)

    # Werkzeug answers errors with HTML pages (and Flask re-raises unhandled exceptions in
    # debug and testing mode); every error is Problem Details instead.
    app.register_error_handler(HTTPException, errors.handle_http_exception)
    app.register_error_handler(IntegrityError, errors.handle_integrity_error)
    app.register_error_handler(OperationalError, errors.handle_database_unavailable)
    app.register_error_handler(InterfaceError, errors.handle_database_unavailable)
    app.register_error_handler(Exception, errors.handle_unexpected_error)

    @app.after_request
    def finish_response(response: Response) -> Response:
        """Give every response, errors included, the headers the contract requires."""
        # Flask answers OPTIONS itself, with 200 and an empty body; the contract says 204.
        if request.method == "OPTIONS" and response.status_code == 200:
            response.status_code = 204
        if response.status_code == 204:
            # Werkzeug labels every response text/html, even one that has no body.
            response.headers.remove("Content-Type")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        return response

    return app
