"""Which CPU the servers run on and which the load generator: each keeps one to itself."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

SERVER_CPU = 0
WRK_CPU = 1
# Every CPU this process may run on before it pins itself: where PostgreSQL and the delay
# proxy run (wherever the kernel puts them).
EVERY_CPU = sorted(os.sched_getaffinity(0))


def pin_to_server_cpu() -> None:
    """Pin this process to the server's CPU: every server it starts inherits that."""
    os.sched_setaffinity(0, {SERVER_CPU})


@contextmanager
def off_server_cpu() -> Iterator[None]:
    """Move this process (seeding, resets, wrk's parent) off the server's CPU meanwhile."""
    os.sched_setaffinity(0, {WRK_CPU})
    try:
        yield
    finally:
        os.sched_setaffinity(0, {SERVER_CPU})
