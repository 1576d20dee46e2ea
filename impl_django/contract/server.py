"""gunicorn's own answers as Problem Details: `worker_class` in gunicorn.conf.py.

gunicorn refuses some requests before the application sees them (a request line
or header over its limits, a malformed head, an unknown transfer coding, a
chunked body whose framing is broken) and answers with an HTML page. These
workers keep gunicorn's decision and its log line, and send the same status as
Problem Details with the contract's headers instead.
"""

import contextlib
import json
import socket

from gunicorn.workers import gthread, sync

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


class ProblemErrorsMixin:
    """Answer what gunicorn itself refuses with Problem Details, in any worker class."""

    def handle_error(self, req, client, addr, exc) -> None:  # gunicorn's own signature
        """Let gunicorn choose the status and log; send Problem Details instead of its page."""
        catcher = _PageCatcher(client)
        super().handle_error(req, catcher, addr, exc)  # type: ignore[misc]
        # The page starts with gunicorn's status line: "HTTP/1.1 414 URI Too Long".
        status_line = catcher.page.partition(b"\r\n")[0].split()
        status = int(status_line[1]) if len(status_line) > 1 else 500
        with contextlib.suppress(OSError):  # the client has gone: nothing to answer
            client.sendall(problem_response(status))


class SyncWorker(ProblemErrorsMixin, sync.SyncWorker):
    """gunicorn's sync worker (its default), with Problem Details for its own refusals."""


class ThreadWorker(ProblemErrorsMixin, gthread.ThreadWorker):
    """gunicorn's gthread worker, with Problem Details for its own refusals."""
