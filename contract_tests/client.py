"""An HTTP client that holds every response to the rules that apply to all.

Every response the example tests receive goes through ``check_response``:
the two security headers, JSON or Problem Details bodies only (never HTML,
never a redirect), the exact Problem Details shape with its fixed title, and
nothing in an error body that looks like a traceback, SQL or a file path.
"""

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx

T = TypeVar("T")

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    413: "Content Too Large",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}

# Fragments that must never reach a client in an error body.
LEAKS = (
    "Traceback",
    'File "',
    "SELECT ",
    "INSERT ",
    "UPDATE users",
    "sqlalchemy",
    "psycopg",
    "django.",
    "sqlite3.",
    ".py",
    "/work/",
    "/tmp/",
)


def media_type(response: httpx.Response) -> str:
    """The response's media type, without parameters, lower-cased."""
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def check_problem(body: Any, status: int) -> None:
    """Assert that ``body`` is a Problem Details object for ``status``."""
    expected = ["type", "title", "status", "detail"] + (["errors"] if status == 422 else [])
    assert list(body) == expected, f"Problem Details members {list(body)}"
    assert body["type"] == "about:blank"
    assert body["title"] == TITLES[status]
    assert body["status"] == status
    assert isinstance(body["detail"], str)
    assert body["detail"]
    for item in body.get("errors", []):
        assert set(item) in ({"detail", "pointer"}, {"detail", "parameter"}), item
        assert isinstance(item["detail"], str)
        assert item["detail"]


def check_response(response: httpx.Response) -> None:
    """Assert the rules that every response of every operation follows."""
    method = response.request.method
    status = response.status_code
    assert response.headers.get("x-content-type-options") == "nosniff"
    assert response.headers.get("cache-control") == "no-store"
    assert not 300 <= status < 400, f"redirect to {response.headers.get('location')}"
    assert b"<html" not in response.content.lower()
    if status != 405 and method != "OPTIONS":
        assert "allow" not in response.headers, "Allow belongs to 405 and OPTIONS only"
    if method == "HEAD" or status == 204:
        assert response.content == b""
        if method == "HEAD" and status != 204:
            assert media_type(response) == (
                "application/json" if status < 400 else "application/problem+json"
            )
        return
    if status < 400:
        assert media_type(response) == "application/json"
        json.loads(response.content)
        return
    assert status in TITLES, f"unexpected status {status}"
    assert media_type(response) == "application/problem+json"
    check_problem(json.loads(response.content), status)
    for leak in LEAKS:
        assert leak not in response.text, f"error body leaks {leak!r}: {response.text}"


class ApiClient:
    """A thin wrapper that sends raw requests and checks each response.

    With a ``token``, every request carries ``Authorization: Bearer <token>``
    unless it names its own ``Authorization`` header.
    """

    def __init__(self, http: httpx.Client, token: str | None = None) -> None:
        self.http = http
        self.token = token

    def as_user(self, token: str | None) -> "ApiClient":
        """The same connection, signed in with ``token`` (``None``: anonymous)."""
        return ApiClient(self.http, token)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        content: bytes | None = None,
        content_type: str | None = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send a request; ``body`` is sent as ``application/json``."""
        headers = dict(headers or {})
        if self.token is not None and not any(key.lower() == "authorization" for key in headers):
            headers["Authorization"] = f"Bearer {self.token}"
        if body is not None:
            content = json.dumps(body).encode()
            content_type = content_type or "application/json"
        if content_type is not None:
            headers["Content-Type"] = content_type
        response = self.http.request(method, path, content=content, params=params, headers=headers)
        check_response(response)
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)


def assert_problem(
    response: httpx.Response,
    status: int,
    *,
    pointers: set[str] | None = None,
    parameters: set[str] | None = None,
) -> None:
    """Assert the status and, for a 422, exactly which members or parameters are named."""
    assert response.status_code == status, response.text
    if response.request.method == "HEAD":
        return
    body = response.json()
    if status == 422:
        named_pointers = {item["pointer"] for item in body["errors"] if "pointer" in item}
        named_parameters = {item["parameter"] for item in body["errors"] if "parameter" in item}
        assert named_pointers == (pointers or set()), body
        assert named_parameters == (parameters or set()), body


@contextmanager
def http_client(base_url: str, connections: int) -> Iterator[ApiClient]:
    """A checking client for a live server, whose pool lets ``connections`` threads send at once."""
    limits = httpx.Limits(max_connections=connections)
    with httpx.Client(base_url=base_url, timeout=30, limits=limits) as http:
        yield ApiClient(http)


def at_once(count: int, send: Callable[[int], T]) -> list[T]:
    """Call ``send(0) ... send(count - 1)`` from ``count`` threads released together."""
    barrier = threading.Barrier(count)

    def released(number: int) -> T:
        barrier.wait(timeout=30)
        return send(number)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(released, range(count)))
