"""gunicorn's own answers as Problem Details: `worker_class` in gunicorn.conf.py.

gunicorn refuses some requests before the application sees them (a request line
or header over its limits, a malformed head, an unknown transfer coding, a
chunked body whose framing is broken) and answers with an HTML page. This
worker keeps gunicorn's decision and its log line, and sends the same status as
Problem Details with the contract's headers instead; and it reads the rest of a
body the application answered without reading, so that the answer reaches the
client.
"""

import contextlib
import json
import math
import socket
import time

from gunicorn.workers import gthread

from .rules import DETAILS, REQUEST_REFUSED, TITLES


class _PageCatcher:
    """Stands in for the client's socket while gunicorn writes its HTML page, and keeps it."""

    def __init__(self, client: socket.socket) -> None:
        self.client = client
        self.page = b""

    def sendall(self, data: bytes) -> None:
        """Keep what gunicorn would have sent."""
        self.page += data

    def __getattr__(self, name: str) -> object:
        return getattr(self.client, name)


def problem_response(status: int) -> bytes:
    """Return a whole HTTP response: Problem Details for ``status``, then the connection closes."""
    if status not in TITLES:  # a status the contract has no title for is still a refusal
        status = 400 if status < 500 else 500
    detail = DETAILS[500] if status == 500 else REQUEST_REFUSED
    body = json.dumps(
        {"type": "about:blank", "title": TITLES[status], "status": status, "detail": detail}
    ).encode()
    head = (
        f"HTTP/1.1 {status} {TITLES[status]}\r\n"
        "Content-Type: application/problem+json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Cache-Control: no-store\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


# How long the worker reads and drops a body the application answered without reading (a
# 413, a 404 before the body), as nginx's lingering close does; gunicorn's own bound is
# the same time and 64 KiB.
LINGER_SECONDS = 5.0


class ThreadWorker(gthread.ThreadWorker):
    """gunicorn's gthread worker, with Problem Details for its own refusals, that reads the
    rest of an unread body before the connection goes on."""

    def handle_error(self, req, client, addr, exc) -> None:  # gunicorn's own signature
        """Let gunicorn choose the status and log; send Problem Details instead of its page."""
        catcher = _PageCatcher(client)
        super().handle_error(req, catcher, addr, exc)
        # The page starts with gunicorn's status line: "HTTP/1.1 414 URI Too Long".
        status_line = catcher.page.partition(b"\r\n")[0].split()
        status = int(status_line[1]) if len(status_line) > 1 else 500
        with contextlib.suppress(OSError):  # the client has gone: nothing to answer
            client.sendall(problem_response(status))

    def _keepalive_after(self, conn, keepalive) -> bool:  # gunicorn's own signature
        """Drop the rest of the body for up to LINGER_SECONDS, whatever its size, then say
        whether the connection goes on.

        gunicorn drops at most 64 KiB, then closes the connection with the rest of the body
        unread: the kernel then resets it, and a client still sending its body loses the
        answer (a 413 for a body over 64 KiB) that was already on its way.
        """
        deadline = time.monotonic() + LINGER_SECONDS
        drained = conn.parser.finish_body(deadline=deadline, max_bytes=math.inf)
        return bool(keepalive and drained)
