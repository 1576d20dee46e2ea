"""Settings for the users API, read from the environment.

DATABASE_URL          sqlite:///relative/path.sqlite3, sqlite:////absolute/path.sqlite3 or
                      postgresql://user:password@host:port/database, read by dj-database-url
                      (default: var/users.sqlite3 in this folder)
DJANGO_DEBUG          1 for Django's debug pages, which are HTML (default: off)
DJANGO_SECRET_KEY     set it in production (`manage.py check --deploy` flags the fallback)
DJANGO_ALLOWED_HOSTS  comma-separated host names (default: localhost,127.0.0.1,[::1])
SQLITE_JOURNAL_MODE   SQLite's journal mode, set on every connection (default: WAL)
DJANGO_CONN_MAX_AGE   seconds a database connection may live before it is replaced; 0
                      closes it after each request, as Django does by default (default:
                      no limit)
"""

import os
from pathlib import Path

import dj_database_url

from contract.rules import MAX_BODY_BYTES

BASE_DIR = Path(__file__).resolve().parent.parent


def default_database_url() -> str:
    """Return the URL of the SQLite file in var/, creating the folder if needed."""
    folder = BASE_DIR / "var"
    folder.mkdir(exist_ok=True)
    return f"sqlite:///{folder / 'users.sqlite3'}"


DEBUG = os.environ.get("DJANGO_DEBUG", "").lower() in ("1", "true", "yes", "on")

# Nothing here is signed (no sessions, no cookies), but Django requires a key.
SECRET_KEY = os.environ.get(
    "DJANGO_SECRET_KEY", "django-insecure-development-only-set-DJANGO_SECRET_KEY-in-production"
)

ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")

# No admin, auth, sessions or contenttypes: nobody logs in to this API.
INSTALLED_APPS = [
    "rest_framework",
    "users",
]

MIDDLEWARE = [
    # Sets X-Content-Type-Options: nosniff on every response.
    "django.middleware.security.SecurityMiddleware",
    # Contract layer: Cache-Control: no-store on every response, Django's own errors included.
    "contract.headers.no_store",
    # Contract layer: HEAD responses without a body, whatever server runs the application.
    "contract.headers.head_without_body",
    # Contract layer: a path with %2F is 404; the server decodes it to "/" before routing.
    "contract.paths.refuse_encoded_slashes",
    # Checks the Host header against ALLOWED_HOSTS (400 if it is not there), and sets
    # Content-Length, which HEAD keeps from the body it then drops.
    "django.middleware.common.CommonMiddleware",
]

# CommonMiddleware redirects /api/users/ to /api/users by default; the contract never
# redirects, and a path with a trailing slash is 404.
APPEND_SLASH = False

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

# As in SQLAlchemy: sqlite:///users.sqlite3 is a path relative to the working directory
# (impl_django/ for migrate and for gunicorn --chdir), sqlite:////tmp/users.sqlite3 an
# absolute one.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or default_database_url(),
        # Keep connections open between requests, with no lifetime (make bench measures
        # Django's default of 0; a lifetime of 60 s replaced every thread's connection each
        # minute), and test one before reusing it, so that connections a database restart
        # killed are replaced, not failed on.
        conn_max_age=int(max_age) if (max_age := os.environ.get("DJANGO_CONN_MAX_AGE")) else None,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # SQLite's default rollback journal blocks readers while a write commits; its
            # write-ahead log lets them read on (make bench measures both). Run on every new
            # connection; the mode is stored in the file.
            "init_command": f"PRAGMA journal_mode={os.environ.get('SQLITE_JOURNAL_MODE', 'WAL')}",
            # Django begins SQLite transactions DEFERRED: one that reads, then writes, fails
            # with "database is locked" if another wrote in between. IMMEDIATE takes the write
            # lock at BEGIN, as FOR UPDATE would (users.views).
            "transaction_mode": "IMMEDIATE",
        }
    )

# Timestamps are aware and stored in UTC; created_at is written with a Z.
USE_TZ = True
TIME_ZONE = "UTC"

# Django reads bodies of up to 2.5 MB into memory by default; the contract answers 413
# above 64 KiB (contract.bodies, which reads this same setting).
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_BYTES
# Django refuses a request with over 1000 query parameters or form fields (400); the contract
# ignores unknown query parameters, and bodies are JSON, limited by size above.
DATA_UPLOAD_MAX_NUMBER_FIELDS = None

REST_FRAMEWORK = {
    # Contract layer: only strict JSON in. DRF also parses forms and multipart bodies.
    "DEFAULT_PARSER_CLASSES": ["contract.bodies.StrictJSONParser"],
    # Only JSON out: DRF's browsable API would answer browsers with HTML.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Contract layer: JSON whatever Accept says. DRF answers 406 to Accept: text/html.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "contract.headers.IgnoreAcceptNegotiation",
    # Contract layer: Problem Details. DRF answers {"detail": ...}, and 400 for invalid data.
    "EXCEPTION_HANDLER": "contract.problems.exception_handler",
    # Nobody logs in: no authentication, no permissions, and no request.user, whose
    # default (AnonymousUser) would need django.contrib.auth and contenttypes.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
}

# Django logs errors to the console only when DEBUG is on: log them to stderr always,
# with the application's own warnings (a database that cannot be reached). Django's 4xx
# warnings stay out; the server's access log has them.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"django": {"handlers": [], "level": "ERROR"}},
}

# What `manage.py check --deploy` still asks for, and why this JSON API does without.
SILENCED_SYSTEM_CHECKS = [
    # security.W002: no X-Frame-Options. Responses are JSON, never HTML: nothing to frame.
    "security.W002",
    # security.W003: no CsrfViewMiddleware. CSRF abuses cookies a browser sends by itself;
    # this API sets none and reads no credentials from cookies.
    "security.W003",
    # security.W004, security.W008: no HSTS, no redirect to HTTPS. TLS ends at the reverse
    # proxy in front of gunicorn, which owns both; the contract forbids redirects.
    "security.W004",
    "security.W008",
]
