"""The bare WSGI baseline: `gunicorn ... bench.bare_wsgi:application`.

One connection per thread of a worker process (gunicorn.conf.py's gthread workers), kept
open and opened on the thread's first request, as the implementations keep one per thread,
in autocommit mode: each statement is its own transaction, as each request's is in the
implementations.
"""

import json
import sqlite3
import threading

import psycopg

from bench import bare

_local = threading.local()  # each thread's own connection, opened after gunicorn forks


def connection() -> sqlite3.Connection | psycopg.Connection:
    """This thread's connection (sqlite3's default 5 s busy timeout, as the implementations)."""
    if getattr(_local, "connection", None) is None:
        url = bare.database_url()
        path = bare.sqlite_path(url)
        if path is None:
            _local.connection = psycopg.connect(url, autocommit=True)
        else:
            _local.connection = sqlite3.connect(path, isolation_level=None)
    return _local.connection


def fetch(query: str, parameters: tuple, *, all_rows: bool = False) -> object:
    """Run one statement; return its first row, or all of them."""
    database = connection()
    if isinstance(database, sqlite3.Connection):
        query = bare.for_sqlite(query)
    cursor = database.execute(query, parameters)
    return bare.rows(cursor.fetchall(), all_rows)


def answer(start_response, status: int, body: bytes, extra: list | None = None) -> list[bytes]:
    """Start the response and return its body."""
    headers = bare.HEADERS if status < 400 else bare.PROBLEM_HEADERS
    reason = {200: "OK", 201: "Created"}.get(status) or bare.TITLES[status]
    start_response(
        f"{status} {reason}", [*headers, *(extra or []), ("Content-Length", str(len(body)))]
    )
    return [body]


def read_json(environ) -> dict:
    """The request's JSON body (not validated: the load sends only valid ones)."""
    return json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))


def signed_in(environ) -> int:
    """The id of the user whose bearer token the request carries, after the revocation
    check's SELECT; bare.AuthenticationError otherwise."""
    identifier, claimed = bare.token_claims(environ.get("HTTP_AUTHORIZATION"))
    bare.check_revocation(fetch(bare.PASSWORD_HASH, (identifier,)), claimed)
    return identifier


def application(environ, start_response) -> list[bytes]:
    """Get, list, create and update users; sign in; the health check."""
    try:
        return respond(environ, start_response)
    except bare.AuthenticationError as error:
        challenge = [("WWW-Authenticate", error.challenge)]
        return answer(start_response, 401, bare.problem(401), challenge)


def respond(environ, start_response) -> list[bytes]:
    """The answer to a request, a token checked first where one is needed."""
    method = environ["REQUEST_METHOD"]
    path = environ["PATH_INFO"]
    if path == "/api/users" and method == "GET":
        signed_in(environ)
        limit, offset, email = bare.page_parameters(environ.get("QUERY_STRING", ""))
        if email is None:
            total = fetch(bare.COUNT_USERS, ())[0]
            rows = fetch(bare.LIST_USERS, (limit, offset), all_rows=True)
        else:
            total = fetch(bare.COUNT_BY_EMAIL, (email,))[0]
            rows = fetch(bare.LIST_BY_EMAIL, (email, limit, offset), all_rows=True)
        page = {"items": [bare.user(row) for row in rows], "total": total}
        return answer(start_response, 200, bare.encode(page | {"limit": limit, "offset": offset}))
    if path == "/api/users" and method == "POST":
        body = read_json(environ)
        sqlite = isinstance(connection(), sqlite3.Connection)
        stored = bare.hash_password(body["password"])
        try:
            row = fetch(
                bare.CREATE_USER, (body["name"], body["email"].lower(), stored, bare.now(sqlite))
            )
        except (sqlite3.IntegrityError, psycopg.errors.UniqueViolation):
            return answer(start_response, 409, bare.problem(409))
        location = [("Location", f"/api/users/{row[0]}")]
        return answer(start_response, 201, bare.encode(bare.user(row)), location)
    if path == "/api/tokens" and method == "POST":
        body = read_json(environ)
        row = fetch(bare.SIGN_IN, (body["email"].lower(),))
        stored = row[1] if row else None
        if not bare.password_matches(stored, body["password"]):
            raise bare.AuthenticationError(bare.NO_TOKEN)
        return answer(start_response, 200, bare.access_token(row[0], stored))
    if path == "/health":
        fetch("SELECT 1", ())
        return answer(start_response, 200, bare.encode({"status": "ok"}))
    identifier = bare.user_id(path)
    if identifier is not None and method == "GET":
        signed_in(environ)
        row = fetch(bare.GET_USER, (identifier,))
    elif identifier is not None and method == "PATCH":
        if signed_in(environ) != identifier:  # another user's: 403, or 404 if there is none
            status = 404 if fetch(bare.GET_USER, (identifier,)) is None else 403
            return answer(start_response, status, bare.problem(status))
        row = fetch(*bare.update_statement(read_json(environ), identifier))
    else:
        row = None
    if row is None:
        return answer(start_response, 404, bare.problem(404))
    return answer(start_response, 200, bare.encode(bare.user(row)))
