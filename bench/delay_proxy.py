"""A TCP proxy that puts a network hop between a server and its database, and counts what
crosses it: `python -m bench.delay_proxy --upstream 127.0.0.1:5432 --delay-ms 1`.

There is no netem on the benchmark's kernel, so a database "a network hop away" is the
local PostgreSQL behind this proxy. Every chunk of bytes, in either direction, is
forwarded delay-ms after it arrived, in order; a new connection first waits one round
trip (2 x delay-ms), as a TCP handshake with a remote host does, before its first bytes
leave (they arrive delay-ms later). Without uvloop, plain asyncio. At delay 0 it forwards
at once: what remains is the proxy's own cost, which `round_trip_ms` measures.

It counts, since it started or since the last `reset`:
- connections: connections opened to the database;
- round trips: each time a client sends after the server's last answer (or first), one
  exchange begins. A query that a driver sends as several messages in one go is one; a
  BEGIN sent and answered before its SELECT is two.

It prints `listening <port> control <port>` once ready. A connection to the control port
gets the counters as one JSON line and closes; sending `reset` first zeroes them.
"""

import argparse
import asyncio
import collections
import json
import socket
import sys
import time
from collections.abc import Callable

import psycopg

Counters = dict[str, int]


class Delayed:
    """Bytes written to a transport delay seconds after they were handed over, in order."""

    def __init__(self, loop: asyncio.AbstractEventLoop, delay: float) -> None:
        self.loop = loop
        self.delay = delay
        self.transport: asyncio.Transport | None = None  # set once connected
        self.pending: collections.deque[tuple[float, bytes]] = collections.deque()
        self.timer: asyncio.TimerHandle | None = None
        self.closing = False

    def write(self, data: bytes) -> None:
        """Forward data after the delay (at once when there is none and nothing waits)."""
        if self.transport is not None and self.transport.is_closing():
            return  # the far end has gone: nothing more can reach it
        if not self.delay and not self.pending and self.transport is not None:
            self.transport.write(data)
            return
        self.pending.append((self.loop.time() + self.delay, data))
        self.schedule()

    def close(self) -> None:
        """Close the transport once everything handed over has been written."""
        self.closing = True
        self.schedule()

    def schedule(self) -> None:
        """Set the timer for the first chunk due, unless one is set or nothing is ready."""
        if self.timer is not None or self.transport is None:
            return
        if self.pending:
            self.timer = self.loop.call_at(self.pending[0][0], self.flush)
        elif self.closing:
            self.transport.close()

    def connected(self, transport: asyncio.Transport) -> None:
        """The far end is connected: what waited for it leaves now, and arrives a delay
        later, as a client's first bytes do after a TCP handshake."""
        self.transport = transport
        earliest = self.loop.time() + self.delay
        self.pending = collections.deque((max(due, earliest), data) for due, data in self.pending)
        self.schedule()

    def flush(self) -> None:
        """Write every chunk that is due, then wait for the next."""
        self.timer = None
        assert self.transport is not None
        now = self.loop.time()
        while self.pending and self.pending[0][0] <= now:
            self.transport.write(self.pending.popleft()[1])
        self.schedule()


class Side(asyncio.Protocol):
    """One end of a proxied connection: what it receives goes, delayed, to the other end."""

    def __init__(self, on_data: Callable[[bytes], None], on_lost: Callable[[], None]) -> None:
        self.on_data = on_data
        self.on_lost = on_lost

    def data_received(self, data: bytes) -> None:
        self.on_data(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.on_lost()


class Proxy:
    """Accepts clients, connects each to the upstream, forwards both ways with the delay."""

    def __init__(self, upstream: tuple[str, int], delay: float) -> None:
        self.upstream = upstream
        self.delay = delay
        self.counters: Counters = {"connections": 0, "round_trips": 0}
        self.connecting: set[asyncio.Task] = set()  # held until done: the loop keeps weak refs

    def client_connected(self) -> asyncio.Protocol:
        """A client's protocol, and its connection to the upstream once a round trip passed."""
        loop = asyncio.get_running_loop()
        to_server, to_client = Delayed(loop, self.delay), Delayed(loop, self.delay)
        awaiting_answer = False

        def from_client(data: bytes) -> None:
            nonlocal awaiting_answer
            if not awaiting_answer:
                self.counters["round_trips"] += 1
                awaiting_answer = True
            to_server.write(data)

        def from_server(data: bytes) -> None:
            nonlocal awaiting_answer
            awaiting_answer = False
            to_client.write(data)

        async def connect() -> None:
            await asyncio.sleep(2 * self.delay)  # the TCP handshake's round trip
            try:
                transport, _ = await loop.create_connection(
                    lambda: Side(from_server, to_client.close), *self.upstream
                )
            except OSError:
                to_client.close()
                return
            transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.counters["connections"] += 1
            to_server.connected(transport)  # type: ignore[arg-type]

        client = Side(from_client, to_server.close)
        original = client.connection_made

        def connection_made(transport: asyncio.BaseTransport) -> None:
            original(transport)
            to_client.connected(transport)  # type: ignore[arg-type]
            task = loop.create_task(connect())
            self.connecting.add(task)
            task.add_done_callback(self.connecting.discard)

        client.connection_made = connection_made  # type: ignore[method-assign]
        return client

    async def control(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer the counters; zero them after a `reset` line."""
        try:
            line = await asyncio.wait_for(reader.readline(), 5)
        except TimeoutError:
            line = b""
        answer = json.dumps(self.counters) + "\n"
        if line.strip() == b"reset":
            self.counters = dict.fromkeys(self.counters, 0)
        writer.write(answer.encode())
        await writer.drain()
        writer.close()


async def serve(upstream: tuple[str, int], delay: float, port: int, control_port: int) -> None:
    """Run the proxy until killed."""
    proxy = Proxy(upstream, delay)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(proxy.client_connected, "127.0.0.1", port)
    controller = await asyncio.start_server(proxy.control, "127.0.0.1", control_port)
    ports = [s.sockets[0].getsockname()[1] for s in (server, controller)]
    print(f"listening {ports[0]} control {ports[1]}", flush=True)
    await asyncio.Event().wait()


def counters(control_port: int, *, reset: bool = False) -> Counters:
    """Read a running proxy's counters (and zero them, with reset)."""
    with socket.create_connection(("127.0.0.1", control_port), timeout=5) as connection:
        connection.sendall(b"reset\n" if reset else b"\n")
        answer = connection.makefile().readline()
    return json.loads(answer)


def round_trip_ms(
    host: str, port: int, count: int = 200, *, user: str = "postgres", dbname: str = "postgres"
) -> float:
    """The median time of `SELECT 1` on one PostgreSQL connection, in milliseconds."""
    with psycopg.connect(host=host, port=port, user=user, dbname=dbname) as db:
        db.autocommit = True
        times = []
        for _ in range(count):
            start = time.perf_counter()
            db.execute("SELECT 1").fetchone()
            times.append(time.perf_counter() - start)
    return round(sorted(times)[len(times) // 2] * 1000, 3)


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, then serve."""
    parser = argparse.ArgumentParser(prog="python -m bench.delay_proxy", description=__doc__)
    parser.add_argument("--upstream", default="127.0.0.1:5432", help="host:port")
    parser.add_argument("--delay-ms", type=float, default=1.0, help="each way")
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    parser.add_argument("--control-port", type=int, default=0, help="default: a free one")
    options = parser.parse_args(argv)
    host, _, port = options.upstream.rpartition(":")
    try:
        import uvloop  # uvicorn's standard extra installs it

        run = uvloop.run
    except ImportError:
        run = asyncio.run
    coroutine = serve((host, int(port)), options.delay_ms / 1000, options.port,
                      options.control_port)  # fmt: skip
    try:
        run(coroutine)
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
