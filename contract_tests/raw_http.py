"""Raw HTTP/1.1 over a socket, for requests that no HTTP client would send.

Live servers only (an in-process app never parses HTTP), and loopback only.
"""

import http.client
import io
import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest

from contract_tests.client import check_response
from contract_tests.plugin import Target

# What a raw exchange may take: connecting, sending, and each read of the answer.
SOCKET_TIMEOUT = 5


def address(target: Target) -> tuple[str, int]:
    """The loopback host and port of a live target; skip the test for any other target."""
    if target.base_url is None:
        pytest.skip("raw HTTP needs a live server: an in-process app never parses HTTP")
    url = urlsplit(target.base_url)
    if url.hostname not in ("127.0.0.1", "localhost", "::1"):
        # Hostile requests go to this machine only (compose's contract-tests service, say,
        # reaches the servers by name, over a network).
        pytest.skip(f"raw HTTP goes to loopback only, not to {url.hostname}")
    port = url.port or 80
    return url.hostname, port


def signed(request: bytes, token: str) -> bytes:
    """``request`` with ``Authorization: Bearer <token>`` as its first header line."""
    request_line, crlf, rest = request.partition(b"\r\n")
    return request_line + crlf + f"Authorization: Bearer {token}\r\n".encode() + rest


def exchange(target: Target, request: bytes) -> httpx.Response:
    """Send ``request`` as raw bytes to a live target; return its answer, checked as all are."""
    method = request.partition(b" ")[0].decode()
    with Connection(target) as connection:
        connection.send(request)
        return connection.response(method)


class _SharedReader(io.BufferedReader):
    """A socket's buffered reader that outlives each response read from it.

    http.client closes its file once a response is read; the next response on the
    same connection may already sit in this buffer, so closing is left to the socket.
    """

    def close(self) -> None:
        pass


class _Lender:
    """Hands http.client the one shared reader where it asks a socket for a file."""

    def __init__(self, reader: io.BufferedReader) -> None:
        self.reader = reader

    def makefile(self, *args: object, **kwargs: object) -> io.BufferedReader:
        return self.reader


class Connection:
    """One raw connection to a live target, whose answers are read one after the other."""

    def __init__(self, target: Target, timeout: float = SOCKET_TIMEOUT) -> None:
        self.target = target
        self.sock = socket.create_connection(address(target), timeout=timeout)
        self.reader = _SharedReader(socket.SocketIO(self.sock, "rb"))

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def response(self, method: str = "GET") -> httpx.Response:
        """The next answer on this connection (after any 100 Continue), checked as all are."""
        answer = http.client.HTTPResponse(_Lender(self.reader), method=method)  # type: ignore[arg-type]
        answer.begin()
        response = httpx.Response(
            answer.status,
            headers=answer.getheaders(),
            content=answer.read(),
            request=httpx.Request(method, self.target.base_url or "http://localhost"),
        )
        check_response(response)
        return response

    def rest(self, within: float) -> tuple[bytes, bool]:
        """What arrives in the next ``within`` seconds, and whether the server closed by then."""
        deadline = time.monotonic() + within
        data = b""
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                chunk = self.reader.read1(65536)
            except TimeoutError:
                return data, False
            except ConnectionResetError:  # closed with our bytes unread: closed all the same
                return data, True
            if not chunk:
                return data, True
            data += chunk
        return data, False
