"""What articles claim of each framework's speed, for the reader to set beside the figures."""

from bench.model import Claim, Quote

# Not measured here: written into bench.json, and shown apart from what was measured.
CLAIMS = [
    Claim("fastapi", "JSON endpoint", low=15000, high=20000),
    Claim("django", "JSON endpoint", low=2500, high=3000),
    Claim("flask", "JSON endpoint", low=2000, high=4000),
    Claim("fastapi", "with database calls", low=440, high=440, latency_ms=11),
    Claim("flask", "with database calls", low=344, high=344, latency_ms=14),
]

# Claims with no figure, in the articles' words, on a database that takes time to answer:
# the section "Where the database is not on loopback" sets the measurements beside them.
LATENCY_CLAIMS = [
    Quote(
        "flask",
        "when tested with real database calls under concurrent load, Flask often bottlenecks first",
        "which implementation bottlenecks first with database calls under concurrent load",
    ),
    Quote(
        "fastapi",
        "if your service spends most of its time waiting on databases, FastAPI's async model "
        "will outperform the others dramatically",
        "FastAPI against the others when requests wait on the database",
    ),
]
