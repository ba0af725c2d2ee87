# Every target that needs Python first makes sure the virtual environment is there and current.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HASH := $(shell cat pyproject.toml | cksum | cut -d' ' -f1)
STAMP := $(VENV)/.installed-$(HASH)
# The test oracles (arena-rank, polarix: JAX) install with the dev tools in one resolution, since
# arena-rank pins numpy; when they cannot be had, their tests skip and say why.
ORACLES := $(VENV)/.oracles-$(HASH)
# Test processes: the end-to-end tests wait on their stacks and browsers, so a second process
# works meanwhile (24 min to 16 here); a third adds nothing on 2 cores. A file's tests stay in
# one process (their module fixtures are built once), the longest files first (tests/conftest.py).
PYTEST_WORKERS ?= 2
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo test test-core lint typecheck docs fmt check worker beat bench bench-equilibrium \
	bench-api bench-crowd bench-import bench-live bench-upload bench-scale faults stack stack-down \
	stack-status stack-smoke

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	bash deploy/install.sh $(VENV) dev
	@rm -f $(VENV)/.installed-*; touch $@

$(ORACLES): $(STAMP)
	bash deploy/install.sh $(VENV) dev,oracles || echo "oracle packages could not be installed; their tests will skip"
	@rm -f $(VENV)/.oracles-*; touch $@

install: $(STAMP)  ## set up the environment

# The demo runs on SQLite with in-process jobs and an in-memory channel layer: nothing to set up.
demo: $(STAMP)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py recompute --no-progress
	ARENA_INPROCESS_BEAT=1 $(BIN)/python manage.py runserver --noreload $(HOST):$(PORT)

# The full suite on PostgreSQL and Redis (started, or installed, when missing).
test: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/arena
test: export REDIS_URL ?= redis://127.0.0.1:6379/0
test: $(ORACLES)
	bash deploy/ensure_services.sh
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

test-core: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/arena
test-core: $(ORACLES)
	$(BIN)/python -m pytest tests/ratings tests/test_architecture.py $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# The documentation site, strictly: a broken link or anchor fails the build.
docs: $(STAMP)
	$(BIN)/mkdocs build --strict --site-dir site

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Everything CI checks, in the order that fails fastest: ruff, formatting, import contracts,
# mypy, the docs, then the whole test suite.
check: lint typecheck docs test

worker: $(STAMP)
	$(BIN)/celery -A config worker --loglevel=info

beat: $(STAMP)
	$(BIN)/celery -A config beat --loglevel=info

bench: $(ORACLES)
	$(BIN)/python -m ratings bench $(BENCH_ARGS)
	$(MAKE) bench-api
	$(MAKE) bench-crowd

# The crowd's path (battle page, then vote) through the whole middleware stack, with each
# pairing setting beside the fewest-votes baseline (a fresh database arena_crowd_bench).
bench-crowd: $(STAMP)
	bash deploy/ensure_services.sh
	$(BIN)/python bench/crowd_path.py $(BENCH_CROWD_ARGS)

# Own-prompt battles: 50 at once through Daphne, streaming from the local test endpoint; the
# browser-side first token beside the endpoint's own, tokens lost, memory per open battle
# (a fresh database arena_live_bench, or BENCH_DATABASE_URL).
bench-live: $(STAMP)
	bash deploy/ensure_services.sh
	$(BIN)/python bench/live_battles.py $(BENCH_LIVE_ARGS)

# import_votes of a generated file (BENCH_IMPORT_ARGS, e.g. --votes 1000000, the default) beside
# PostgreSQL's COPY into a plain table and into the arena's tables, in fresh databases
# arena_import_bench and arena_import_bench_floor: votes/s, CPU seconds, resident memory, load.
bench-import: $(STAMP)
	bash deploy/ensure_services.sh
	$(BIN)/python bench/import_rate.py $(BENCH_IMPORT_ARGS)

# Only the equilibrium solvers, beside those of a baseline revision in the same run
# (BENCH_EQUILIBRIUM_ARGS, e.g. --equilibrium-baseline REF --equilibrium-repeat 3).
bench-equilibrium: $(STAMP)
	$(BIN)/python -m ratings bench --equilibrium-only $(BENCH_EQUILIBRIUM_ARGS)

# The platform at scale (#21): an arena of BENCH_SCALE_VOTES votes (10M by default; e.g. 1000000
# to run smaller) beside one of 10k, generated inside PostgreSQL in a database of their own
# (arena_scale_<votes>, reused by the next run; BENCH_SCALE_ARGS=--fresh builds it again), then
# the GROUP BY floor, each method's job, the beat's check, serving at both sizes, /boards/ and
# the import, each against its target (PASS/MISS) and the load average at start and end.
BENCH_SCALE_VOTES ?= 10000000
bench-scale: export REDIS_URL ?= redis://127.0.0.1:6379/0
bench-scale: $(STAMP)
	bash deploy/ensure_services.sh
	$(BIN)/python bench/scale.py --votes $(BENCH_SCALE_VOTES) $(BENCH_SCALE_ARGS)

# The judge API under load: gunicorn and PostgreSQL (a fresh database arena_bench, or
# BENCH_DATABASE_URL), verdicts sent from a loopback client; prints the figures and checks that
# every accepted vote is stored exactly once. BENCH_API_ARGS passes options (see --help).
bench-api: $(STAMP)
	bash deploy/ensure_services.sh
	$(BIN)/python bench/api_load.py $(BENCH_API_ARGS)

# Peak memory of a live uvicorn web process during two 60 MiB owner uploads (one accepted, one
# refused at the caps); a fresh database arena_upload_bench, or BENCH_DATABASE_URL.
bench-upload: $(STAMP)
	bash deploy/ensure_services.sh
	$(BIN)/python bench/upload_memory.py $(BENCH_UPLOAD_ARGS)

# The fault test, full form: 20 browsers vote for 40 s on a stack of its own (a PostgreSQL
# cluster from initdb, redis-server, gunicorn) while a web worker is killed, Redis stops and
# starts and PostgreSQL restarts; prints the figures and fails if an accepted vote is lost or
# duplicated. FAULTS_ARGS passes options (see --help).
faults: $(STAMP)
	$(BIN)/python bench/faults.py $(FAULTS_ARGS)

# The production-shaped stack on this machine, without Docker (deploy/local.sh): gunicorn with
# uvicorn workers on http://127.0.0.1:$(STACK_PORT), a Celery worker and beat, against the local
# PostgreSQL (database arena_stack, created when missing) and Redis (db 0), DEBUG off, JSON logs
# in .stack/. Set DATABASE_URL, REDIS_URL or STACK_PORT to use others.
STACK_PORT ?= 8000
stack: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/arena_stack
stack: export REDIS_URL ?= redis://127.0.0.1:6379/0
stack: export STACK_PORT := $(STACK_PORT)
stack: $(STAMP)
	bash deploy/ensure_services.sh
	bash deploy/local.sh up

stack-down:
	bash deploy/local.sh down

stack-status:
	bash deploy/local.sh status

# The stack started, voted on, watched and stopped by a test (part of `make test` too), on the
# test database and a Redis server of its own.
stack-smoke: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/arena
stack-smoke: export REDIS_URL ?= redis://127.0.0.1:6379/0
stack-smoke: $(STAMP)
	bash deploy/ensure_services.sh
	$(BIN)/python -m pytest tests/deploy $(PYTEST_ARGS)
