"""gunicorn settings for production: `gunicorn --config gunicorn.conf.py ...`.

The worker count is gunicorn's own default: WEB_CONCURRENCY, else 1.
"""

# Sync workers: one request at a time per process, each with its own database
# connection. The README's "Production servers" has the measurements behind it.
worker_class = "sync"

# gunicorn answers a request line over 4094 bytes (414), or more than 100 header
# fields or one over 8190 bytes (431), with its own HTML page before the application
# sees the request; the contract never sends HTML. Raised well past what a client
# sends, and still bounded: beyond 1 MiB of request line (what 0 means), 1000 fields
# or 64 KiB a field, gunicorn's own page remains, for a proxy in front to prevent.
limit_request_line = 0
limit_request_fields = 1000
limit_request_field_size = 65536
