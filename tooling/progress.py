"""Tell the person waiting what a long run is doing, and for how long it has run."""

import time
from typing import TextIO


class Progress:
    """Print one line per step, each with the seconds since the start."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream  # None: whatever sys.stdout is when a line is printed
        self.start = time.monotonic()

    @property
    def elapsed(self) -> float:
        """Return the seconds since the start."""
        return time.monotonic() - self.start

    def step(self, message: str) -> None:
        """Print a line about what is happening now."""
        # Flushed at once: output piped to a log (as under make in CI) is block-buffered.
        print(f"[{self.elapsed:7.1f}s] {message}", file=self.stream, flush=True)
