"""gunicorn settings for production: `gunicorn --config gunicorn.conf.py ...`.

The worker count is gunicorn's own default: WEB_CONCURRENCY, else 1.
"""

# Sync workers: one request at a time per process, each with its own database
# connection. The README's "Production servers" has the measurements behind it.
worker_class = "sync"

# gunicorn answers a request line over 4094 bytes with its own HTML 414 page,
# before the application sees it; the contract never sends HTML. Long query
# strings reach the application instead, which validates every parameter.
limit_request_line = 0
