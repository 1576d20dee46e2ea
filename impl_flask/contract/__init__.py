"""The contract layer: what switches Flask's lax defaults off to meet the strict contract.

init_app() installs it into an app, the way an extension installs itself
(db.init_app(app)). The application layer calls it from create_app(), and reads bodies
with bodies.read_json_body() and its rules from rules.py.
"""

from flask import Flask
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from . import headers, problems
from .paths import UserIdConverter, refuse_altered_paths
from .rules import MAX_BODY_BYTES


def init_app(app: Flask) -> None:
    """Install the contract layer into app; call it before registering blueprints."""
    # Flask's JSON provider sorts keys, escapes non-ASCII and indents in debug mode; the
    # contract keeps members in their order and writes compact UTF-8.
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.json.compact = True

    # Flask reads bodies of any size by default; the contract answers 413 above 64 KiB.
    # Werkzeug checks a Content-Length against it before reading; for a chunked body,
    # see bodies.read_json_body().
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    # Werkzeug redirects /api//users to /api/users (308); the contract never redirects.
    # (Its trailing-slash redirects only apply to rules that end with a slash: none here.)
    app.url_map.merge_slashes = False
    # ... and strips leading slashes (//api/users routes), and a server decodes %2F first.
    app.before_request(refuse_altered_paths)
    # Registered before the blueprints: a rule looks its converter up when it is added.
    app.url_map.converters["user_id"] = UserIdConverter

    # Werkzeug answers errors with HTML pages (and Flask re-raises unhandled exceptions in
    # debug and testing mode); every error is Problem Details instead.
    app.register_error_handler(HTTPException, problems.handle_http_exception)
    app.register_error_handler(problems.Unauthenticated, problems.handle_unauthenticated)
    app.register_error_handler(problems.ValidationError, problems.handle_validation_error)
    app.register_error_handler(IntegrityError, problems.handle_integrity_error)
    app.register_error_handler(OperationalError, problems.handle_database_unavailable)
    app.register_error_handler(InterfaceError, problems.handle_database_unavailable)
    app.register_error_handler(Exception, problems.handle_unexpected_error)

    app.after_request(headers.finish_response)
