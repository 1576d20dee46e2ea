"""uvicorn's own answers as Problem Details: the HTTP protocol that server.py builds on.

uvicorn refuses a request that h11 cannot parse (a malformed head, a head over
the size below, a chunked body whose framing is broken) before the application
sees it, and answers with a text/plain 400. This protocol sends the same 400 as
Problem Details with the contract's headers instead.
"""

import json

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from .rules import REQUEST_REFUSED, TITLES

PROBLEM_400 = json.dumps(
    {"type": "about:blank", "title": TITLES[400], "status": 400, "detail": REQUEST_REFUSED}
).encode()


class ProblemH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, whose own 400 is Problem Details."""

    def send_400_response(self, msg: str) -> None:
        """Answer a request h11 refused with Problem Details, then close, as uvicorn does."""
        headers = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(PROBLEM_400)).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"cache-control", b"no-store"),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=400, headers=headers, reason=TITLES[400].encode()),
            h11.Data(data=PROBLEM_400),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        self.transport.close()
