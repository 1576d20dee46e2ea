"""The bare ASGI baseline: `uvicorn ... bench.bare_asgi:app`.

SQLite: one sqlite3 connection per worker, called on the event loop (a local file answers
in microseconds). PostgreSQL: psycopg 3's AsyncConnection, up to POOL_SIZE per worker, so
that the loop serves other requests while one waits for the database. A password's hash
(tens of milliseconds of CPU) runs in a thread, as FastAPI runs a `def` path operation, so
that the loop serves other requests meanwhile.
"""

import asyncio
import json
import sqlite3

import psycopg

from bench import bare

# As many connections per worker as the FastAPI implementation's pool (no overflow).
POOL_SIZE = 8


class Database:
    """This worker's connections, opened on first use."""

    def __init__(self) -> None:
        self.url = bare.database_url()
        self.path = bare.sqlite_path(self.url)
        self.sqlite: sqlite3.Connection | None = None
        self.idle: asyncio.LifoQueue[psycopg.AsyncConnection] | None = None
        self.opened = 0

    async def fetch(self, query: str, parameters: tuple, *, all_rows: bool = False) -> object:
        """Run one statement in autocommit mode; return its first row, or all of them."""
        if self.path is not None:
            if self.sqlite is None:
                self.sqlite = sqlite3.connect(self.path, isolation_level=None)
            cursor = self.sqlite.execute(bare.for_sqlite(query), parameters)
            return bare.rows(cursor.fetchall(), all_rows)
        if self.idle is None:
            self.idle = asyncio.LifoQueue()
        if self.idle.empty() and self.opened < POOL_SIZE:
            self.opened += 1
            connection = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
        else:
            connection = await self.idle.get()
        try:
            cursor = await connection.execute(query, parameters)
            return bare.rows(await cursor.fetchall(), all_rows)
        finally:
            self.idle.put_nowait(connection)


database = Database()


async def read_body(receive) -> bytes:
    """The whole request body."""
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def answer(send, status: int, body: bytes, extra: list | None = None) -> None:
    """Send a whole response."""
    headers = bare.HEADERS if status < 400 else bare.PROBLEM_HEADERS
    raw = [(name.lower().encode(), value.encode()) for name, value in [*headers, *(extra or [])]]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def lifespan(receive, send) -> None:
    """Nothing to start or stop: connections open on first use."""
    while True:
        message = await receive()
        await send({"type": message["type"] + ".complete"})
        if message["type"] == "lifespan.shutdown":
            return


async def signed_in(scope) -> int:
    """The id of the user whose bearer token the request carries, after the revocation
    check's SELECT; bare.AuthenticationError otherwise."""
    authorization = dict(scope["headers"]).get(b"authorization")
    identifier, claimed = bare.token_claims(authorization and authorization.decode("latin-1"))
    bare.check_revocation(await database.fetch(bare.PASSWORD_HASH, (identifier,)), claimed)
    return identifier


async def app(scope, receive, send) -> None:
    """Get, list, create and update users; sign in; the health check."""
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    try:
        await respond(scope, receive, send)
    except bare.AuthenticationError as error:
        await answer(send, 401, bare.problem(401), [("WWW-Authenticate", error.challenge)])


async def respond(scope, receive, send) -> None:
    """The answer to a request, a token checked first where one is needed."""
    method = scope["method"]
    path = scope["path"]
    fetch = database.fetch
    if path == "/api/users" and method == "GET":
        await signed_in(scope)
        limit, offset, email = bare.page_parameters(scope["query_string"].decode())
        if email is None:
            total = (await fetch(bare.COUNT_USERS, ()))[0]
            rows = await fetch(bare.LIST_USERS, (limit, offset), all_rows=True)
        else:
            total = (await fetch(bare.COUNT_BY_EMAIL, (email,)))[0]
            rows = await fetch(bare.LIST_BY_EMAIL, (email, limit, offset), all_rows=True)
        page = {"items": [bare.user(row) for row in rows], "total": total}
        await answer(send, 200, bare.encode(page | {"limit": limit, "offset": offset}))
        return
    if path == "/api/users" and method == "POST":
        body = json.loads(await read_body(receive))
        stored = await asyncio.to_thread(bare.hash_password, body["password"])
        values = (body["name"], body["email"].lower(), stored, bare.now(database.path is not None))
        try:
            row = await fetch(bare.CREATE_USER, values)
        except (sqlite3.IntegrityError, psycopg.errors.UniqueViolation):
            await answer(send, 409, bare.problem(409))
            return
        location = [("Location", f"/api/users/{row[0]}")]
        await answer(send, 201, bare.encode(bare.user(row)), location)
        return
    if path == "/api/tokens" and method == "POST":
        body = json.loads(await read_body(receive))
        row = await fetch(bare.SIGN_IN, (body["email"].lower(),))
        stored = row[1] if row else None
        if not await asyncio.to_thread(bare.password_matches, stored, body["password"]):
            raise bare.AuthenticationError(bare.NO_TOKEN)
        await answer(send, 200, bare.access_token(row[0], stored))
        return
    if path == "/health":
        await fetch("SELECT 1", ())
        await answer(send, 200, bare.encode({"status": "ok"}))
        return
    identifier = bare.user_id(path)
    if identifier is not None and method == "GET":
        await signed_in(scope)
        row = await fetch(bare.GET_USER, (identifier,))
    elif identifier is not None and method == "PATCH":
        if await signed_in(scope) != identifier:  # another user's: 403, or 404 if there is none
            status = 404 if await fetch(bare.GET_USER, (identifier,)) is None else 403
            await answer(send, status, bare.problem(status))
            return
        body = json.loads(await read_body(receive))
        row = await fetch(*bare.update_statement(body, identifier))
    else:
        row = None
    if row is None:
        await answer(send, 404, bare.problem(404))
        return
    await answer(send, 200, bare.encode(bare.user(row)))
