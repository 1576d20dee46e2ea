"""Request shapes that servers and routers normalise before the application sees them.

Paths that a router would route only after changing them (merging leading
slashes, decoding ``%2F``, matching before a final newline) name no resource:
404. A chunked body whose framing is broken, and a Host header that is no host
name, get Problem Details from the application, never the server's own page
or a 500. The malformed bodies and the long Host go over a raw socket, to live
servers only: no HTTP client sends them, and an in-process app never parses
HTTP.
"""

import json

import httpx
import pytest

from contract_tests.client import ApiClient, assert_problem
from contract_tests.differential import Fanout
from contract_tests.plugin import Target
from contract_tests.raw_http import exchange
from contract_tests.test_success import PASSWORD, create_user, list_users, unique_email

METHODS = ["GET", "HEAD", "OPTIONS", "POST"]


def send_everywhere(api: ApiClient, path: str | httpx.URL) -> None:
    """Send ``path`` with each of METHODS: 404 each time, and no user created.

    ``api`` is signed in and the body is a valid sign-up: a server that routed the path
    after changing it would answer 200 or 201, not 404."""
    email = unique_email()
    for method in METHODS:
        body = {"name": "shape", "email": email, "password": PASSWORD} if method == "POST" else None
        assert_problem(api.request(method, path, body=body), 404)  # type: ignore[arg-type]
    assert list_users(api, email=email)["total"] == 0


# -- Paths that name no resource --------------------------------------------------


@pytest.mark.parametrize("path", ["//api/users", "///api/users", "//health", "//api/users/{id}"])
def test_leading_slashes_are_404(api: ApiClient, path: str) -> None:
    if isinstance(api.http, Fanout):
        pytest.skip("the differential client takes a path as text, whose leading slashes merge")
    raw_path = path.format(id=create_user(api)["id"]).encode()
    # As text, httpx would read "//api/users" as the host "api" and send /users; a URL
    # with raw_path goes out as written.
    send_everywhere(api, api.http.base_url.copy_with(raw_path=raw_path))


@pytest.mark.parametrize(
    "path", ["/api%2Fusers", "/api%2fusers", "/api/users%2F{id}", "/api%2Fusers%2F{id}"]
)
def test_encoded_slash_is_404(api: ApiClient, target: Target, path: str) -> None:
    if target.app is not None and not target.asgi:
        pytest.skip(
            "httpx's WSGI transport gives an in-process app the decoded path and no raw URI, "
            "so %2F cannot reach it; the live modes test it"
        )
    # httpx sends %2F as written; a server decodes it into the path that routes.
    send_everywhere(api, path.format(id=create_user(api)["id"]))


@pytest.mark.parametrize(
    "path", ["/api/users%0A", "/api/users%0a", "/health%0A", "/api/users/{id}%0A"]
)
def test_final_newline_is_404(api: ApiClient, path: str) -> None:
    # A router whose regex ends with "$" matches it before a final newline.
    send_everywhere(api, path.format(id=create_user(api)["id"]))


# -- Raw requests: live servers only ------------------------------------------------


CHUNKED_HEAD = (
    b"POST /api/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
)
MALFORMED_CHUNKS = {
    "size zz": b"zz\r\n{}\r\n0\r\n\r\n",
    "negative size": b"-5\r\n{}   \r\n0\r\n\r\n",
    "size 0x5": b"0x5\r\n{}   \r\n0\r\n\r\n",
    "no size": b"\r\n{}\r\n0\r\n\r\n",
    "bad chunk terminator": b"2\r\n{}XX0\r\n\r\n",
}


@pytest.mark.parametrize("chunks", MALFORMED_CHUNKS.values(), ids=MALFORMED_CHUNKS.keys())
def test_malformed_chunked_body_is_400(api: ApiClient, target: Target, chunks: bytes) -> None:
    email = unique_email()
    # A valid user in the first chunk: a server that misreads the framing might store it.
    valid = json.dumps({"name": "chunked", "email": email, "password": PASSWORD}).encode()
    chunks = chunks.replace(b"{}", valid).replace(b"2\r\n", f"{len(valid):x}\r\n".encode(), 1)
    assert_problem(exchange(target, CHUNKED_HEAD + chunks), 400)
    assert list_users(api, email=email)["total"] == 0


def test_long_host_is_not_a_body_error(api: ApiClient, target: Target) -> None:
    request = b"GET /health HTTP/1.1\r\nHost: " + b"h" * 8000 + b"\r\nConnection: close\r\n\r\n"
    response = exchange(target, request)
    # Served, or refused with 400; never with the sentence of a body that is not JSON.
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        not_json = api.post("/api/users", content=b"{", content_type="application/json")
        assert_problem(not_json, 400)
        assert response.json()["detail"] != not_json.json()["detail"]
