"""uvicorn's h11 HTTP protocol with Nagle's algorithm off: `uvicorn --http ...`."""

import asyncio
import socket

from .contract.server import ProblemH11Protocol


class H11NoDelayProtocol(ProblemH11Protocol):
    """The h11 protocol (with the contract's own 400), setting TCP_NODELAY on every connection."""

    # With --workers N (N > 1, from WEB_CONCURRENCY) uvicorn binds the listening socket
    # itself, without IPPROTO_TCP, so asyncio leaves TCP_NODELAY off on the connections it
    # accepts, and every keep-alive response then waits ~40 ms for the client's delayed ACK
    # (uvicorn issue #3149). Measured here: 150 requests/s with 2 workers, 560 with 1.
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Turn Nagle's algorithm off, then start the connection as uvicorn does."""
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
