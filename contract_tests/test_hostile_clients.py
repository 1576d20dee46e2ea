"""Hostile clients over raw sockets: the contract's edge, "slow clients never hold the
application's workers" and "malformed or smuggling-shaped requests get a 4xx and the
connection is closed".

Each case talks to a live target over loopback, bounded in connections and time:

- slow clients, trickling a request head or a body one byte a second, while a probe
  asks for /health once a second on a fresh connection and must get 200 within 1 s;
- smuggling shapes (Content-Length with Transfer-Encoding, two Content-Lengths, a
  Content-Length that is no number, obs-fold, unknown transfer codings), each followed
  in the same write by a second request: one refusal, then the connection closes,
  and the second request is never answered;
- chunked bodies no server can finish reading: a chunk size beyond any real body, and
  a body whose last chunk never comes;
- request heads at the contract's limits and one byte over them;
- dot segments in the path, which name nothing, as ``//`` and ``%2F`` do;
- pipelined requests, and ``Expect: 100-continue``.

Sign-up (POST /api/users) and /health need no token; a raw request to any other
operation carries one (``signed``), so that only what the case is about is wrong.

Every answer goes through ``check_response`` (Problem Details, both headers, no HTML),
and /health answers after every test. Behind the edge (``--mode edge``) every case
passes; a bare production server fails some of them, and those (server, case) pairs,
as observed, are in ``BARE_SERVER_FAILURES`` below as strict xfails (``NOT_ALWAYS``:
not strict, for the cases a bare server fails only some of the time).

``CONTRACT_SLOW_SECONDS`` (default 6; the issue's acceptance figure is 20) sets how
long the slow clients hold on, ``CONTRACT_SLOW_CLIENTS`` (default 50) how many there
are. Apart from the two slow-client tests, a target takes some 11 s behind the edge
(10 of them waiting for nginx's client_body_timeout), and 6 s (gunicorn) to 26 s
(uvicorn, whose known failures wait out their bounds) bare.
"""

import http.client
import json
import os
import select
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from contract_tests.client import ApiClient, assert_problem
from contract_tests.plugin import Target
from contract_tests.raw_http import SOCKET_TIMEOUT, Connection, address, exchange, signed
from contract_tests.test_success import PASSWORD, list_users, sign_up, unique_email

# The contract's limits on a request head, as the edge enforces them (the line lengths
# do not count the CRLF that ends the line). A request line up to MAX_REQUEST_LINE bytes
# reaches the application, a longer one gets 414; a header line up to MAX_HEADER_LINE
# bytes reaches it, a longer one gets 431; MAX_HEADER_FIELDS fields reach it, and
# MANY_HEADER_FIELDS tiny ones get 200 or 431, as the server likes (the spec's "Request
# heads and framing").
MAX_REQUEST_LINE = 8190
MAX_HEADER_LINE = 8190
MAX_HEADER_FIELDS = 100
MANY_HEADER_FIELDS = 1000
# All the header lines together may have 32768 bytes; more is 431 too.
MAX_HEADER_LINES_IN_ALL = 32768

# Where a bare production server (--mode sqlite) fails a case, as
# observed: case (the test's name and parameters, without the target) -> {implementation:
# why}. Strict, so that a server change that fixes one says so. Behind the edge, none.
GUNICORN_THREADS = (
    "gunicorn's gthread workers hand a connection to a thread once its first bytes "
    "arrive, and the thread reads the request to its end with no overall deadline: 16 "
    "slow clients hold the 8 threads of both workers"
)
GUNICORN = ("flask", "django")
BARE_SERVER_FAILURES: dict[str, dict[str, str]] = {
    "test_slow_request_heads_hold_no_worker": dict.fromkeys(GUNICORN, GUNICORN_THREADS),
    "test_slow_request_bodies_hold_no_worker": dict.fromkeys(GUNICORN, GUNICORN_THREADS),
    "test_unfinished_chunked_body_holds_no_worker": {
        **dict.fromkeys(GUNICORN, GUNICORN_THREADS),
        "fastapi": "uvicorn waits for the rest of a body for ever (no body read timeout); "
        "its workers stay free, but the connections stay open",
    },
    "test_chunk_size_beyond_any_body_is_refused_and_closed": {
        **dict.fromkeys(
            GUNICORN,
            "gunicorn waits for the 2^72-byte chunk until the worker timeout kills the worker",
        ),
        "fastapi": "h11 waits for the 2^72-byte chunk, with no limit and no deadline",
    },
    "test_smuggling_shape_is_refused_and_closed[content-length-and-chunked]": {
        "fastapi": "h11 reads the chunked body, ignores Content-Length and keeps the "
        "connection open: the request behind the body is answered (smuggled)",
    },
    "test_smuggling_shape_is_refused_and_closed[obs-fold-space]": {
        "fastapi": "h11 unfolds obs-fold (RFC 9112 section 5.2 lets a server) and answers 200",
    },
    "test_smuggling_shape_is_refused_and_closed[obs-fold-tab]": {
        "fastapi": "h11 unfolds obs-fold (RFC 9112 section 5.2 lets a server) and answers 200",
    },
    "test_smuggling_shape_is_refused_and_closed[transfer-encoding-gzip-chunked]": dict.fromkeys(
        GUNICORN,
        "gunicorn takes gzip as a coding it knows, undoes only the chunking and hands the "
        "application the still-encoded body (here 422)",
    ),
    f"test_request_head_at_and_over_the_limits[request-line-{MAX_REQUEST_LINE + 1}]": {
        "fastapi": "h11 limits only the whole head (--h11-max-incomplete-event-size), "
        "not a line: 200",
    },
    f"test_request_head_at_and_over_the_limits[header-line-{MAX_HEADER_LINE + 1}]": {
        "fastapi": "h11 limits only the whole head (--h11-max-incomplete-event-size), "
        "not a line: 200",
    },
    f"test_request_head_at_and_over_the_limits[header-lines-over-{MAX_HEADER_LINES_IN_ALL}"
    "-bytes]": {
        **dict.fromkeys(
            GUNICORN,
            "gunicorn limits the count of header fields and the size of each, not their sum: 200",
        ),
        "fastapi": "uvicorn's only limit on a whole head is h11's buffer of 40960 bytes "
        "(--h11-max-incomplete-event-size), not 32768: 200",
    },
}

# Cases above that a bare server fails only some of the time: which of gunicorn's threads a
# probe meets, and when, depends on timing (a fresh-clone CI run once saw every probe of
# the slow bodies answered). Expected to fail, without strictness.
NOT_ALWAYS = {"test_slow_request_heads_hold_no_worker", "test_slow_request_bodies_hold_no_worker"}

SLOW_CLIENTS = int(os.environ.get("CONTRACT_SLOW_CLIENTS", "50"))
SLOW_SECONDS = int(os.environ.get("CONTRACT_SLOW_SECONDS", "6"))
PROBE_WITHIN = 1.0  # seconds a /health probe may take while hostile clients hold on
CLOSE_WITHIN = 5.0  # seconds after a refusal within which the connection must close
# Seconds within which a body that never ends must be answered or its connection closed
# (the edge's client_body_timeout is 10 s), and how many such bodies are held at once:
# more than a production server has workers.
UNFINISHED_WITHIN = 15.0
UNFINISHED_BODIES = 8

HOST = b"Host: 127.0.0.1\r\n"
HEALTH = b"GET /health HTTP/1.1\r\n" + HOST + b"\r\n"
JSON_POST = b"POST /api/users HTTP/1.1\r\n" + HOST + b"Content-Type: application/json\r\n"
CHUNKED_POST = JSON_POST + b"Transfer-Encoding: chunked\r\n\r\n"


@pytest.fixture(autouse=True)
def live_and_healthy(request: pytest.FixtureRequest, target: Target) -> Iterator[None]:
    """Live targets only; a bare server's known failures expected; /health answers after."""
    address(target)  # skips the test for an in-process app
    name, _, mode = target.name.partition("-")
    if mode == "postgresql":
        # These cases end before any query: the same server on SQLite (--mode sqlite)
        # records what it does, and the suite spends its time elsewhere.
        pytest.skip("hostile clients reach no database: --mode sqlite runs the same server")
    # Only the bare production servers that this suite starts: a --base-url server may be
    # behind a proxy or not, and the edge must pass everything.
    if mode == "sqlite":
        case = case_of(request, target)
        why = BARE_SERVER_FAILURES.get(case, {}).get(name)
        if why:
            strict = case not in NOT_ALWAYS
            request.applymarker(pytest.mark.xfail(reason=f"bare server: {why}", strict=strict))
    yield
    assert_health_answers(target)


def case_of(request: pytest.FixtureRequest, target: Target) -> str:
    """``test_x[case]``: the running test and its parameters, without the target's id."""
    head, _, parameters = request.node.name.partition("[")
    parameters = parameters.removesuffix("]")
    for form in (f"{target.name}-", f"-{target.name}", target.name):
        if form in parameters:
            parameters = parameters.replace(form, "", 1)
            break
    return f"{head}[{parameters}]" if parameters else head


def assert_health_answers(target: Target, within: float = 10.0) -> None:
    """/health answers 200 on a fresh connection, at the latest ``within`` seconds from now."""
    deadline = time.monotonic() + within
    while True:
        outcome = probe_health(target, timeout=SOCKET_TIMEOUT)
        if isinstance(outcome, float) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert isinstance(outcome, float), f"/health after the test: {outcome}"


def probe_health(target: Target, timeout: float = PROBE_WITHIN) -> float | str:
    """GET /health on a fresh connection: the seconds its 200 took, or what went wrong."""
    started = time.monotonic()
    try:
        with Connection(target, timeout=timeout) as connection:
            connection.send(HEALTH)
            response = connection.response()
    except (OSError, http.client.HTTPException) as error:
        return f"{type(error).__name__} after {time.monotonic() - started:.2f} s"
    took = round(time.monotonic() - started, 3)
    return took if response.status_code == 200 else f"{response.status_code} after {took} s"


def probes_passed(latencies: list[float | str]) -> bool:
    """Whether every probe got its 200 within PROBE_WITHIN seconds."""
    return all(isinstance(took, float) and took <= PROBE_WITHIN for took in latencies)


def wait_for_next_second(started: float, second: int) -> None:
    """Sleep until ``second + 1`` seconds after ``started``."""
    time.sleep(max(0.0, started + second + 1 - time.monotonic()))


def refused_then_closed(target: Target, request: bytes, statuses: set[int]) -> httpx.Response:
    """Send ``request`` and then GET /health in one write: one refusal, then EOF, no more.

    Whichever way a server reads the first request's framing, the GET behind it is a
    second request unless the server closes the connection; an answer to it is a
    request smuggled past whatever sits in front.
    """
    method = request.partition(b" ")[0].decode()
    with Connection(target) as connection:
        connection.send(request + HEALTH)
        response = connection.response(method)
        assert response.status_code in statuses, response.text
        rest, closed = connection.rest(CLOSE_WITHIN)
    assert not rest, f"more after the {response.status_code}: {rest[:300]!r}"
    assert closed, f"the connection stayed open {CLOSE_WITHIN:.0f} s after the refusal"
    return response


def user_json(email: str, name: str = "Hostile", size: int = 0) -> bytes:
    """A valid sign-up as JSON, padded with spaces to ``size`` bytes."""
    return json.dumps({"name": name, "email": email, "password": PASSWORD}).encode().ljust(size)


# -- Slow clients ---------------------------------------------------------------------


def hold_slow_clients(target: Target, opening: bytes, trickle: bytes) -> None:
    """Hold SLOW_CLIENTS slow connections for SLOW_SECONDS; /health must answer each second.

    Each connection sends ``opening`` at once, then ``trickle`` one byte a second, never
    its last byte, so that no request ends.
    """
    slow: list[socket.socket] = []
    latencies: list[float | str] = []
    closed_by_server = 0
    try:
        for _ in range(SLOW_CLIENTS):
            slow.append(socket.create_connection(address(target), timeout=SOCKET_TIMEOUT))
            if opening:
                slow[-1].sendall(opening)
        holding = list(slow)
        started = time.monotonic()
        for second in range(SLOW_SECONDS):
            byte = trickle[second : second + 1] if second < len(trickle) - 1 else b""
            for sock in list(holding):
                try:
                    sock.send(byte)
                except OSError:  # the server gave up on this one: what a server may do
                    holding.remove(sock)
                    closed_by_server += 1
            latencies.append(probe_health(target))
            wait_for_next_second(started, second)
    finally:
        for sock in slow:
            sock.close()
    # The figures, for a run with -s (the README's are from CONTRACT_SLOW_SECONDS=20).
    print(f"\n{target.name}: /health each second, {SLOW_CLIENTS} slow clients: {latencies}")
    assert probes_passed(latencies), (
        f"/health with {SLOW_CLIENTS} slow clients, once a second (seconds, or what went "
        f"wrong; the server closed {closed_by_server} of them): {latencies}"
    )


def test_slow_request_heads_hold_no_worker(target: Target) -> None:
    # A head that is still incomplete when the hold ends, whatever SLOW_SECONDS is.
    head = HEALTH.removesuffix(b"\r\n") + b"X-Slow: " + b"s" * SLOW_SECONDS + b"\r\n\r\n"
    hold_slow_clients(target, b"", head)


def test_slow_request_bodies_hold_no_worker(target: Target) -> None:
    body = user_json(unique_email(), "Slow", 100)
    assert len(body) == 100, body
    head = JSON_POST + b"Content-Length: 100\r\n\r\n"
    hold_slow_clients(target, head, body)


# -- Smuggling shapes -------------------------------------------------------------------

SMUGGLING = {
    # The chunked body ends at once; the Content-Length counts exactly that much, so
    # the GET behind it is a second request for a server that reads either header.
    "content-length-and-chunked": (
        JSON_POST + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        {400},
    ),
    "two-content-lengths": (
        JSON_POST + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{} ",
        {400},
    ),
    "content-length-abc": (JSON_POST + b"Content-Length: abc\r\n\r\n", {400}),
    "content-length-negative": (JSON_POST + b"Content-Length: -1\r\n\r\n", {400}),
    "content-length-list": (JSON_POST + b"Content-Length: 1,2\r\n\r\n{}", {400}),
    "obs-fold-space": (HEALTH.removesuffix(b"\r\n") + b"X-Folded: a\r\n b\r\n\r\n", {400}),
    "obs-fold-tab": (HEALTH.removesuffix(b"\r\n") + b"X-Folded: a\r\n\tb\r\n\r\n", {400}),
    # RFC 9112 section 6.1: a coding the server does not know is 501, and a chunked that
    # is not the last coding leaves the length unknown (400).
    "transfer-encoding-gzip": (JSON_POST + b"Transfer-Encoding: gzip\r\n\r\n{}", {400, 501}),
    "transfer-encoding-chunked-gzip": (
        JSON_POST + b"Transfer-Encoding: chunked, gzip\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        {400, 501},
    ),
    "transfer-encoding-gzip-chunked": (
        JSON_POST + b"Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        {400, 501},
    ),
}


@pytest.mark.parametrize(("request_bytes", "statuses"), SMUGGLING.values(), ids=SMUGGLING.keys())
def test_smuggling_shape_is_refused_and_closed(
    target: Target, request_bytes: bytes, statuses: set[int]
) -> None:
    refused_then_closed(target, request_bytes, statuses)


# -- Chunked bodies that never end ----------------------------------------------------------


def test_chunk_size_beyond_any_body_is_refused_and_closed(api: ApiClient, target: Target) -> None:
    email = unique_email()
    # 18 hex digits: more than 2^64 bytes, and more than the 64 KiB any body may have.
    chunks = b"ffffffffffffffffff\r\n" + user_json(email) + b"\r\n0\r\n\r\n"
    refused_then_closed(target, CHUNKED_POST + chunks, {400, 413})
    assert list_users(api, email=email)["total"] == 0


def answer_or_close(connection: Connection) -> int | str:
    """The status of the answer waiting on ``connection``, or ``"closed"`` without one."""
    try:
        if not connection.reader.peek(1):
            return "closed"
    except ConnectionResetError:
        return "closed"
    return connection.response("POST").status_code


def test_unfinished_chunked_body_holds_no_worker(api: ApiClient, target: Target) -> None:
    email = unique_email()
    chunk = user_json(email)
    # One whole chunk of a valid user, and never the last chunk that ends the body.
    request = CHUNKED_POST + f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    held: list[Connection] = []
    outcomes: list[int | str] = []
    latencies: list[float | str] = []
    try:
        for _ in range(UNFINISHED_BODIES):
            held.append(Connection(target))
            held[-1].send(request)
        waiting = list(held)
        started = time.monotonic()
        for second in range(int(UNFINISHED_WITHIN)):
            ready, _, _ = select.select([c.sock for c in waiting], [], [], 0)
            for connection in [c for c in waiting if c.sock in ready]:
                outcomes.append(answer_or_close(connection))
                waiting.remove(connection)
            latencies.append(probe_health(target))
            if not waiting or not probes_passed(latencies):  # decided: no need to wait on
                break
            wait_for_next_second(started, second)
    finally:
        for connection in held:
            connection.close()
    assert probes_passed(latencies), (
        f"/health while {UNFINISHED_BODIES} bodies never end, once a second: {latencies}"
    )
    still_open = len(waiting)
    assert still_open == 0, (
        f"{still_open} of {UNFINISHED_BODIES} connections neither answered nor closed "
        f"within {UNFINISHED_WITHIN:.0f} s; the others: {outcomes}"
    )
    answers = [outcome for outcome in outcomes if outcome != "closed"]
    assert all(isinstance(status, int) and 400 <= status < 500 for status in answers), outcomes
    assert list_users(api, email=email)["total"] == 0


# -- Request heads at the limits ---------------------------------------------------------


def request_line(length: int) -> bytes:
    """``GET /api/users?q=... HTTP/1.1``, ``length`` bytes without its CRLF."""
    start, end = b"GET /api/users?q=", b" HTTP/1.1"
    return start + b"q" * (length - len(start) - len(end)) + end + b"\r\n"


def header_line(length: int) -> bytes:
    """``X-Long: ...``, ``length`` bytes without its CRLF."""
    return b"X-Long: " + b"v" * (length - len(b"X-Long: ")) + b"\r\n"


def with_fields(count: int) -> bytes:
    """GET /health with ``count`` header fields in all, Host and Connection included."""
    fields = b"".join(b"X-F%d: v\r\n" % number for number in range(count - 2))
    return b"GET /health HTTP/1.1\r\n" + HOST + fields + b"Connection: close\r\n\r\n"


CLOSE = b"Connection: close\r\n\r\n"
HEADS = {
    f"request-line-{MAX_REQUEST_LINE}": (request_line(MAX_REQUEST_LINE) + HOST + CLOSE, {200}),
    f"request-line-{MAX_REQUEST_LINE + 1}": (
        request_line(MAX_REQUEST_LINE + 1) + HOST + CLOSE,
        {414},
    ),
    f"header-line-{MAX_HEADER_LINE}": (
        b"GET /health HTTP/1.1\r\n" + HOST + header_line(MAX_HEADER_LINE) + CLOSE,
        {200},
    ),
    f"header-line-{MAX_HEADER_LINE + 1}": (
        b"GET /health HTTP/1.1\r\n" + HOST + header_line(MAX_HEADER_LINE + 1) + CLOSE,
        {431},
    ),
    f"{MAX_HEADER_FIELDS}-header-fields": (with_fields(MAX_HEADER_FIELDS), {200}),
    f"{MANY_HEADER_FIELDS}-header-fields": (with_fields(MANY_HEADER_FIELDS), {200, 431}),
    f"header-lines-over-{MAX_HEADER_LINES_IN_ALL}-bytes": (
        b"GET /health HTTP/1.1\r\n"
        + HOST
        # Lines well under MAX_HEADER_LINE each: only their sum is too large.
        + header_line(8000) * (MAX_HEADER_LINES_IN_ALL // 8000 + 1)
        + CLOSE,
        {431},
    ),
}


@pytest.mark.parametrize(("request_bytes", "statuses"), HEADS.values(), ids=HEADS.keys())
def test_request_head_at_and_over_the_limits(
    api: ApiClient, target: Target, request_bytes: bytes, statuses: set[int]
) -> None:
    if request_bytes.startswith(b"GET /api/users"):
        # Listing users needs a token. Only these cases carry one: in the others, a header
        # line more would change what is at the limit.
        request_bytes = signed(request_bytes, api.token)
    response = exchange(target, request_bytes)
    assert response.status_code in statuses, response.text


# -- Dot segments ------------------------------------------------------------------------

# The contract does not normalise paths ("//" and "%2F" name nothing), so neither are
# dot segments, written or percent-encoded: each is 404, and a DELETE deletes nothing.
DOT_SEGMENTS = [
    "/api/users/../users",
    "/api/./users",
    "/./health",
    "/health/.",
    "/api/../health",
    "/api/users/{id}/.",
    "/api/users/{id}/..",
    "/api/users/0/../{id}",
    "/api/users/%2e%2e/users",
    "/%2e/health",
    "/api/users/{id}/%2e",
]
# A path that climbs above the root is no path at all: 400, or 404 like any other.
ABOVE_THE_ROOT = ["/../health", "/..", "/api/../../health", "/%2e%2e/health"]


def raw_request(method: str, path: str) -> bytes:
    """``method path`` as written, on a connection that closes after the answer."""
    return f"{method} {path} HTTP/1.1\r\n".encode() + HOST + CLOSE


@pytest.mark.parametrize("path", DOT_SEGMENTS)
def test_dot_segments_name_nothing(api: ApiClient, target: Target, path: str) -> None:
    # Sent by the user itself, whose DELETE would delete it if the path named it.
    user, owner = sign_up(api) if "{id}" in path else (None, api)
    path = path.format(id=user["id"] if user else 0)
    for method in ("GET", "DELETE"):
        assert_problem(exchange(target, signed(raw_request(method, path), owner.token)), 404)
    if user:
        assert api.get(f"/api/users/{user['id']}").status_code == 200


@pytest.mark.parametrize("path", ABOVE_THE_ROOT)
def test_path_above_the_root_is_400_or_404(target: Target, path: str) -> None:
    response = exchange(target, raw_request("GET", path))
    assert response.status_code in (400, 404), response.text


# -- Pipelining and Expect -----------------------------------------------------------------


def test_pipelined_requests_are_answered_in_order(api: ApiClient, target: Target) -> None:
    page_request = signed(b"GET /api/users?limit=1 HTTP/1.1\r\n" + HOST + b"\r\n", api.token)
    head_request = b"HEAD /health HTTP/1.1\r\n" + HOST + CLOSE
    # One write: the three arrive together, and are answered one after the other.
    requests = HEALTH + page_request + head_request
    with Connection(target) as connection:
        connection.send(requests)
        health = connection.response("GET")
        page = connection.response("GET")
        head = connection.response("HEAD")
        rest, closed = connection.rest(CLOSE_WITHIN)
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert (page.status_code, page.json()["limit"]) == (200, 1)
    assert (head.status_code, head.content) == (200, b"")
    assert (rest, closed) == (b"", True), "nothing after the third answer, then EOF"


def test_expect_continue_with_a_body_too_large_is_413_at_once(target: Target) -> None:
    head = JSON_POST + b"Content-Length: 70000\r\nExpect: 100-continue\r\n\r\n"
    with Connection(target) as connection:
        connection.send(head)
        # Without the body: a 100 Continue may come first (http.client skips it), but
        # the 413 must come without the server waiting for the body.
        assert_problem(connection.response("POST"), 413)


@pytest.mark.parametrize("token", ["none", "malformed", "another user's"])
def test_expect_continue_with_a_body_too_large_on_a_user_is_answered_at_once(
    api: ApiClient, target: Target, token: str
) -> None:
    # 401 comes before 413: without a usable token, a 401 at once; with another user's
    # token (403 comes after 413), a 413 at once.
    user, _ = sign_up(api)
    head = (
        f"PUT /api/users/{user['id']} HTTP/1.1\r\n".encode()
        + HOST
        + b"Content-Type: application/json\r\nContent-Length: 70000\r\nExpect: 100-continue\r\n\r\n"
    )
    if token != "none":
        head = signed(head, "not-a-token" if token == "malformed" else api.token)
    with Connection(target) as connection:
        connection.send(head)
        assert_problem(connection.response("PUT"), 413 if token == "another user's" else 401)
    assert api.get(f"/api/users/{user['id']}").json() == user


def test_expect_continue_with_a_small_body_is_201(api: ApiClient, target: Target) -> None:
    email = unique_email()
    body = user_json(email)
    head = JSON_POST + b"Content-Length: %d\r\nExpect: 100-continue\r\n" % len(body) + CLOSE
    with Connection(target) as connection:
        connection.send(head)
        # A 100 Continue, or nothing until the body comes (both RFC 9110): wait a little.
        select.select([connection.sock], [], [], 1.0)
        connection.send(body)
        response = connection.response("POST")
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/api/users/{response.json()['id']}"
    assert list_users(api, email=email)["total"] == 1
