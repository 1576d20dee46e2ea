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
JWT_SECRET            the key that signs access tokens, at least 32 bytes (required)
ARGON2_MEMORY_COST    argon2id's memory in KiB, for new password hashes (default: 19456)
ARGON2_TIME_COST      argon2id's passes (default: 2)
ARGON2_PARALLELISM    argon2id's lanes (default: 1)
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from contract.rules import MAX_BODY_BYTES, TOKEN_LIFETIME_SECONDS

BASE_DIR = Path(__file__).resolve().parent.parent


def default_database_url() -> str:
    """Return the URL of the SQLite file in var/, creating the folder if needed."""
    folder = BASE_DIR / "var"
    folder.mkdir(exist_ok=True)
    return f"sqlite:///{folder / 'users.sqlite3'}"


DEBUG = os.environ.get("DJANGO_DEBUG", "").lower() in ("1", "true", "yes", "on")

# Nothing here is signed with it (no sessions, no cookies; tokens use JWT_SECRET), but Django
# requires a key.
SECRET_KEY = os.environ.get(
    "DJANGO_SECRET_KEY", "django-insecure-development-only-set-DJANGO_SECRET_KEY-in-production"
)

ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")

INSTALLED_APPS = [
    # Django's auth framework: users.User is its user model (AUTH_USER_MODEL), checked by its
    # password hashers and found by simplejwt through get_user_model(). simplejwt imports
    # django.contrib.auth.models, whose Group and Permission point at contenttypes' ContentType:
    # neither app's models load unless both are installed. Neither has a table (see
    # MIGRATION_MODULES). No admin, no sessions: the API reads bearer tokens, never cookies.
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "users",
]

# The users table is the user model. AbstractBaseUser, not AbstractUser, whose username,
# first_name, last_name, is_staff, is_superuser, is_active and date_joined would be columns that
# the other two implementations lack; and not a plain model beside auth.User: simplejwt's
# JWTAuthentication finds the user with get_user_model(), and AccessToken.for_user reads the
# user's password (its hash) for the revocation claim.
AUTH_USER_MODEL = "users.User"

# The database holds the users table and django_migrations, nothing else: the tables of auth
# (users, groups, permissions) and contenttypes would serve the admin and per-object
# permissions, which this API does not have. No migrations for the two apps, so nothing is
# created or recorded for them; and a router that keeps their tables out of the database when
# the test runner creates them anyway (migrate --run-syncdb), and turns off the post_migrate
# handlers that fill them (content types, permissions).
MIGRATION_MODULES = {"auth": None, "contenttypes": None}
DATABASE_ROUTERS = ["project.routers.NoAuthTables"]

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

# Passwords: argon2id with Django's own hasher, whose parameters (Django's: m=102400 KiB, t=2,
# p=8) these settings replace; OWASP's minimum by default, as in the other two
# (docs/sign-in.md). The only hasher: a hash that another implementation wrote is argon2id too.
PASSWORD_HASHERS = ["users.hashers.Argon2PasswordHasher"]
ARGON2_MEMORY_COST = int(os.environ.get("ARGON2_MEMORY_COST", "19456"))
ARGON2_TIME_COST = int(os.environ.get("ARGON2_TIME_COST", "2"))
ARGON2_PARALLELISM = int(os.environ.get("ARGON2_PARALLELISM", "1"))

# Refuse to start without a key of HS256's size (RFC 7518 section 3.2): never a default here,
# or tokens signed with a key in the code would be accepted.
JWT_SECRET = os.environ.get("JWT_SECRET", "")
if len(JWT_SECRET.encode()) < 32:
    raise ImproperlyConfigured(
        "Set JWT_SECRET to a random key of at least 32 bytes, the same for every implementation "
        "that shares this database: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
    )

# Access tokens: simplejwt's, with the claims that the other two issue and accept
# (docs/sign-in.md): sub, the user's id; hash_password, the fingerprint of the user's hash
# that revokes the token when the password changes. No refresh tokens: create_token issues an
# access token alone.
SIMPLE_JWT = {
    "SIGNING_KEY": JWT_SECRET,
    "ALGORITHM": "HS256",
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=TOKEN_LIFETIME_SECONDS),
    "LEEWAY": 0,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "sub",
    "CHECK_REVOKE_TOKEN": True,
    "REVOKE_TOKEN_CLAIM": "hash_password",
}

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
    # A bearer token, and a signed-in user for every operation, unless a view says otherwise
    # (create_user, create_token, health and OPTIONS need none). Contract layer: simplejwt's
    # JWTAuthentication, reading the scheme in any letter case.
    "DEFAULT_AUTHENTICATION_CLASSES": ["contract.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
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
