"""What articles claim of each framework's speed, for the reader to set beside the figures."""

from bench.model import Claim

# Not measured here: written into bench.json, and shown apart from what was measured.
CLAIMS = [
    Claim("fastapi", "JSON endpoint", low=15000, high=20000),
    Claim("django", "JSON endpoint", low=2500, high=3000),
    Claim("flask", "JSON endpoint", low=2000, high=4000),
    Claim("fastapi", "with database calls", low=440, high=440, latency_ms=11),
    Claim("flask", "with database calls", low=344, high=344, latency_ms=14),
]
