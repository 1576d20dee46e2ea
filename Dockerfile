# One image for the whole repository: the three implementations share one pinned
# environment (requirements.lock, as in CI), and each service of compose.yaml picks one
# with `make ... IMPL=x`. Three images would hold the same packages three times.
#
#   docker build -t users-api-three-ways .
#   docker run --rm -p 127.0.0.1:8003:8003 users-api-three-ways   fastapi on a SQLite file

# Python 3.11, the oldest the project supports (pyproject.toml), on Debian 12 as in CI.
FROM python:3.11.17-slim-bookworm

# make runs every command, as it does in CI and in the README. nginx, Debian's as in CI, is
# what `make edge` runs and `make test` checks for: the image's user could not install it at
# run time. Nothing else is needed: psycopg[binary] brings its own libpq.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends make nginx \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /app

# The pinned packages first, in a layer of their own that code changes do not rebuild.
# `make install` creates .venv from requirements.lock, checking every hash.
COPY Makefile requirements.lock ./
RUN PIP_NO_CACHE_DIR=1 make install

COPY . .
# Usually nothing to do. But a requirements.lock copied with a newer date than the install
# above (a fresh clone's, say) would make every `make` target reinstall at run time, as a
# user who cannot write .venv: make settles it here, while it still can.
RUN PIP_NO_CACHE_DIR=1 make install

# The code and .venv stay root's, read-only to the server. Writable: the test caches, and the
# folders where each implementation puts its SQLite file when DATABASE_URL is not set.
RUN useradd --user-group --uid 10001 --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p .pytest_cache .hypothesis impl_flask/var impl_django/var impl_fastapi/var \
    && chown app:app .pytest_cache .hypothesis impl_flask/var impl_django/var impl_fastapi/var
USER app

# flask, django and fastapi in compose.yaml.
EXPOSE 8001 8002 8003

CMD ["make", "serve", "IMPL=fastapi", "HOST=0.0.0.0", "PORT=8003"]
