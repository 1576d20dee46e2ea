"""gunicorn settings for production: `gunicorn --config gunicorn.conf.py ...`.

The worker count is gunicorn's own default: WEB_CONCURRENCY, else 1.
"""

# gthread workers: requests wait on the database in threads instead of holding the whole
# process, which matters as soon as the database is a network hop away (README, "Where
# the database is not on loopback", has the measurements). gunicorn's own class, answering
# what gunicorn itself refuses (the limits below, a malformed request) with Problem
# Details instead of an HTML page, and reading the rest of a body the application
# answered without reading.
worker_class = "contract.server.ThreadWorker"
threads = 8
# Seconds an idle kept-alive connection stays open (gunicorn's default is 2): uvicorn's
# default, so that the three servers keep clients alike. The edge drops its idle upstream
# connections after 1 s, before the server does.
keepalive = 5
# Each thread keeps its own persistent database connection (CONN_MAX_AGE in
# project/settings.py): as many connections as threads, none opened under load.

# The contract's limits on a request head (the edge, nginx, applies the same ones):
# a request line of at most 8190 bytes (gunicorn's largest; 0 would mean unlimited,
# not 1 MiB), else 414; 100 header fields of at most 8190 bytes each, else 431.
limit_request_line = 8190
# The client's 100, and the two the edge adds (X-Forwarded-For, X-Forwarded-Proto).
limit_request_fields = 102
# gunicorn counts a header line with its CRLF.
limit_request_field_size = 8192
