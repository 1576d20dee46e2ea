"""gunicorn settings for production: `gunicorn --config gunicorn.conf.py ...`.

The worker count is gunicorn's own default: WEB_CONCURRENCY, else 1.
"""

import os

# gunicorn's own worker classes, answering what gunicorn itself refuses (the limits
# below, a malformed request) with Problem Details instead of an HTML page.
if os.environ.get("BEHIND_EDGE") == "1":
    # Behind the edge (make edge and compose set BEHIND_EDGE), nginx hands each request
    # over whole and answers an oversized body's 413 itself: threads never wait for a
    # slow client, and 4 per process were faster than sync workers there. Bare, a thread
    # answers a body it did not read with a reset instead of the 413. README, "Production
    # servers", has the measurements.
    worker_class = "contract.server.ThreadWorker"
    threads = 4
else:
    # Bare (make serve): sync workers, one request at a time per process, each with its
    # own database connection.
    worker_class = "contract.server.SyncWorker"

# The contract's limits on a request head (the edge, nginx, applies the same ones):
# a request line of at most 8190 bytes (gunicorn's largest; 0 would mean unlimited,
# not 1 MiB), else 414; 100 header fields of at most 8190 bytes each, else 431.
limit_request_line = 8190
# The client's 100, and the two the edge adds (X-Forwarded-For, X-Forwarded-Proto).
limit_request_fields = 102
# gunicorn counts a header line with its CRLF.
limit_request_field_size = 8192
