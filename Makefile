# Every target installs what it needs: Python 3.11+ and make are enough.
#
#   make compare                        the three side by side: reports/comparison.html
#   make bench [QUICK=1]                requests/s against bare baselines: reports/bench.json
#   make serve IMPL=fastapi PORT=8000   one implementation under its production server
#   make edge IMPL=fastapi PORT=8000    the same behind nginx, as production runs it
#   make test                           the contract suite against all three, and their own tests
#   make lint                           ruff, the spec validator and Spectral
#
# DATABASE_URL chooses the database (default: a SQLite file in impl_*/var/); JWT_SECRET the key
# that signs tokens (default: a new one each run).

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
IMPL ?= fastapi
HOST ?= 127.0.0.1
PORT ?= 8000
IMPLS := flask django fastapi

# The key that signs the bearer tokens (docs/sign-in.md). Unset, each make run draws one, so
# tokens last until the server stops; implementations that share a database and should accept
# each other's tokens need one key: `export JWT_SECRET=$(python3 -c 'import secrets;
# print(secrets.token_urlsafe(32))')` first.
ifndef JWT_SECRET
JWT_SECRET := $(shell $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(32))')
endif
export JWT_SECRET

# How each implementation migrates the database, with its own tool, and its production server.
INIT_DB_flask = $(BIN)/flask --app impl_flask db upgrade
SERVER_flask = $(BIN)/gunicorn --config impl_flask/gunicorn.conf.py --bind $(HOST):$(PORT) \
  "impl_flask:create_app()"
# (From impl_django/, as gunicorn --chdir serves it: a relative SQLite path means one file.)
INIT_DB_django = cd impl_django && $(BIN)/python manage.py migrate --noinput --fake-initial
SERVER_django = $(BIN)/gunicorn --config impl_django/gunicorn.conf.py --chdir impl_django \
  --bind $(HOST):$(PORT) project.wsgi
INIT_DB_fastapi = $(BIN)/alembic --config impl_fastapi/alembic.ini upgrade head
# uvloop (uvicorn's standard extra), which sets TCP_NODELAY on every connection; h11 through
# a protocol whose own 400 is Problem Details (httptools, the other protocol of the extra,
# refuses a method it does not know, BREW say, with 400 where the contract wants 405). h11
# buffers at most 16 KiB of request head by default: the contract's limits allow an
# 8190-byte request line and 32 KiB of header lines.
SERVER_fastapi = $(BIN)/uvicorn --loop uvloop --http impl_fastapi.contract.server:ProblemH11Protocol \
  --h11-max-incomplete-event-size 40960 --host $(HOST) --port $(PORT) impl_fastapi.main:app

.PHONY: help install check-impl compare bench serve edge init-db server test lint format lock clean

help:
	@sed -n '2,11p' Makefile | sed 's/^# \{0,1\}//'

$(VENV)/.installed: requirements.lock
	@echo "Installing the pinned Python packages into $(VENV)/ ..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	@touch $@

install: $(VENV)/.installed

check-impl:
	@case " $(IMPLS) " in *" $(IMPL) "*) ;; \
	  *) echo "IMPL must be one of: $(IMPLS) (got '$(IMPL)')" >&2; exit 2;; esac

# Any database to the current schema, keeping its rows: an empty one, one that create_all()
# made before the migrations, one that another implementation migrated (docs/one-database.md).
init-db: install check-impl
	$(INIT_DB_$(IMPL))

# The server alone, without creating tables: it must start even while the
# database is down, and answer 503 until it is back.
server: install check-impl
	exec $(SERVER_$(IMPL))

serve: init-db
	@echo "Serving $(IMPL) on http://$(HOST):$(PORT) (Ctrl-C stops it)"
	exec $(SERVER_$(IMPL))

# nginx (Debian's package) in front of the production server on a private port:
# edge/edge.conf.template says what it does. Ctrl-C or SIGTERM stops both.
NGINX_INSTALLED = test -x /usr/sbin/nginx || command -v nginx >/dev/null || \
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends nginx >/dev/null; }

edge: init-db
	@$(NGINX_INSTALLED)
	exec $(BIN)/python -m edge --impl $(IMPL) --port $(PORT)

# The contract suite runs each implementation in-process (app), then under its
# production server on SQLite and on PostgreSQL (skipped without a server,
# except in CI), then behind the edge (nginx); then each implementation's own tests.
# The differential run compares the implementations without the edge, which is the
# same nginx in front of each.
MODES ?= app sqlite postgresql edge

# The three implementations side by side, from their code and one live run of the
# contract suite: reports/comparison.html and its Markdown twin reports/comparison.md.
compare: install
	$(BIN)/python -m comparison

# Each implementation and a bare app on the same server under wrk (Debian's package):
# reports/bench.json and reports/bench-*.svg. QUICK=1: a few minutes.
bench: install
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk; }
	@$(NGINX_INSTALLED)
	$(BIN)/python -m bench $(if $(QUICK),--quick) $(BENCH_ARGS)

test: install
	@$(NGINX_INSTALLED)
	cd impl_django && $(BIN)/python manage.py test --verbosity 1
	$(BIN)/pytest $(foreach mode,$(MODES),--mode $(mode)) --durations=20 $(PYTEST_ARGS)
	$(BIN)/pytest contract_tests --differential $(foreach mode,$(filter-out edge,$(MODES)),--mode $(mode)) $(PYTEST_ARGS)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

lint: install node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/openapi-spec-validator spec/openapi.yaml
	npx --no-install spectral lint --fail-severity=hint spec/openapi.yaml

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Re-pin every Python dependency after editing pyproject.toml.
lock: install
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --all-extras --universal --python-version 3.11 \
	  --generate-hashes --quiet -o requirements.lock

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache .hypothesis impl_*/var
	rm -f reports/comparison.html reports/comparison.md reports/contract-suite.xml
	rm -f reports/bench.json reports/bench-*.svg
