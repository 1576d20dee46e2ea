"""gunicorn settings for production: `gunicorn --config gunicorn.conf.py ...`.

The worker count is gunicorn's own default: WEB_CONCURRENCY, else 1.
"""

# Sync workers: one request at a time per process, each with its own database
# connection. The README's "Production servers" has the measurements behind it.
# gunicorn's own sync worker, answering what gunicorn itself refuses (the limits
# below, a malformed request) with Problem Details instead of an HTML page.
worker_class = "contract.server.SyncWorker"

# The contract's limits on a request head (the edge, nginx, applies the same ones):
# a request line of at most 8190 bytes (gunicorn's largest; 0 would mean unlimited,
# not 1 MiB), else 414; 100 header fields of at most 8190 bytes each, else 431.
limit_request_line = 8190
# The client's 100, and the two the edge adds (X-Forwarded-For, X-Forwarded-Proto).
limit_request_fields = 102
# gunicorn counts a header line with its CRLF.
limit_request_field_size = 8192
