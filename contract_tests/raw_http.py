"""Raw HTTP/1.1 over a socket, for requests that no HTTP client would send.

Live servers only (an in-process app never parses HTTP), and loopback only.
"""

import http.client
import socket
from urllib.parse import urlsplit

import httpx
import pytest

from contract_tests.client import check_response
from contract_tests.plugin import Target

# What a raw exchange may take: connecting, sending, and each read of the answer.
SOCKET_TIMEOUT = 5


def address(target: Target) -> tuple[str, int]:
    """The loopback host and port of a live target; skip the test for an in-process app."""
    if target.base_url is None:
        pytest.skip("raw HTTP needs a live server: an in-process app never parses HTTP")
    url = urlsplit(target.base_url)
    assert url.hostname in ("127.0.0.1", "localhost", "::1"), "raw requests go to loopback only"
    assert url.port is not None
    return url.hostname, url.port


def exchange(target: Target, request: bytes) -> httpx.Response:
    """Send ``request`` as raw bytes to a live target; return its answer, checked as all are."""
    method = request.partition(b" ")[0].decode()
    with socket.create_connection(address(target), timeout=SOCKET_TIMEOUT) as sock:
        sock.sendall(request)
        answer = http.client.HTTPResponse(sock, method=method)
        answer.begin()
        response = httpx.Response(
            answer.status,
            headers=answer.getheaders(),
            content=answer.read(),
            request=httpx.Request(method, target.base_url),
        )
    check_response(response)
    return response
