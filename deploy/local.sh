#!/usr/bin/env bash
# `make stack` / `make stack-down`: the production-shaped stack on this machine, without
# Docker. gunicorn with several uvicorn workers (web and websockets), a Celery worker with
# several processes, and celery beat, against the local PostgreSQL and Redis, with DEBUG off
# and JSON logs, each started through deploy/run.sh exactly as in a container.
#
#   deploy/local.sh up       migrate, collect static files, start, wait until healthy
#   deploy/local.sh down     stop every process (SIGTERM to each process group, then SIGKILL)
#   deploy/local.sh status   what runs
#
# Every process runs in a process group of its own whose id is in $STACK_DIR/<name>.pid, so
# `down` stops the workers' children too and leaves nothing behind.
#
# Environment (defaults in brackets): STACK_DIR [.stack], STACK_HOST [127.0.0.1],
# STACK_PORT [8000], WEB_CONCURRENCY [2], CELERY_CONCURRENCY [2],
# DATABASE_URL [postgres://postgres@127.0.0.1:5432/arena_stack, created when missing],
# REDIS_URL [redis://127.0.0.1:6379/0], STACK_COLLECTSTATIC [1], STACK_STOP_SECONDS [20],
# STACK_SEED_DEMO [0; 1 seeds the demo arena into an empty database], DATABASE_POOL_MAX_SIZE [10],
# and any setting of deploy/.env.example.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

STACK_DIR=${STACK_DIR:-$ROOT/.stack}
STACK_HOST=${STACK_HOST:-127.0.0.1}
STACK_PORT=${STACK_PORT:-8000}
STACK_STOP_SECONDS=${STACK_STOP_SECONDS:-20}
PROCESSES=(web worker beat)

export PATH="${STACK_BIN:-$ROOT/.venv/bin}:$PATH"
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/arena_stack}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export DEBUG=${DEBUG:-0}
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost}
# Plain HTTP on loopback: the session and CSRF cookies must travel without TLS here, and no
# redirect to HTTPS nor HSTS (both on by default with DEBUG=0).
export SECURE_COOKIES=${SECURE_COOKIES:-0}
export SECURE_SSL_REDIRECT=${SECURE_SSL_REDIRECT:-0}
export SECURE_HSTS_SECONDS=${SECURE_HSTS_SECONDS:-0}
export CELERY_TASK_ALWAYS_EAGER=0
export LOG_FORMAT=${LOG_FORMAT:-json}
export STATIC_ROOT=${STATIC_ROOT:-$STACK_DIR/static}
export PROMETHEUS_MULTIPROC_DIR=$STACK_DIR/prometheus
export WEB_BIND=$STACK_HOST:$STACK_PORT
export WEB_CONCURRENCY=${WEB_CONCURRENCY:-2}
# A pool of at most this many PostgreSQL connections per process (web worker, Celery process).
export DATABASE_POOL_MAX_SIZE=${DATABASE_POOL_MAX_SIZE:-10}
export CELERY_CONCURRENCY=${CELERY_CONCURRENCY:-2}
export CELERY_BEAT_SCHEDULE_FILE=$STACK_DIR/beat-schedule
export PYTHONUNBUFFERED=1

say() { echo "stack: $*"; }

pgid_alive() { kill -0 -- "-$1" 2>/dev/null; }

running() {  # name -> 0 when its process group is alive
  local file=$STACK_DIR/$1.pid
  [ -f "$file" ] && pgid_alive "$(cat "$file")"
}

secret_key() {
  # Generated once per stack directory and kept out of the repository.
  local file=$STACK_DIR/secret_key
  [ -s "$file" ] || (umask 077 && python -c 'import secrets; print(secrets.token_urlsafe(50))' >"$file")
  cat "$file"
}

database_create() {
  python - <<'PY'
import os

import dj_database_url
import psycopg
from psycopg import sql

db = dj_database_url.parse(os.environ["DATABASE_URL"])
if db["ENGINE"].endswith("postgresql"):
    params = {"host": db["HOST"] or None, "port": db["PORT"] or None, "user": db["USER"] or None,
              "password": db["PASSWORD"] or None, "dbname": "postgres"}
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
            print(f"stack: created database {db['NAME']}")
PY
}

start() {  # name: one process group, its log and its pid file
  setsid bash deploy/run.sh "$1" >>"$STACK_DIR/$1.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$STACK_DIR/$1.pid"
  say "$1 started (process group $pid, log $STACK_DIR/$1.log)"
}

wait_healthy() {
  local url="http://$STACK_HOST:$STACK_PORT/health/"
  for _ in $(seq 1 120); do
    if python - "$url" <<'PY' 2>/dev/null; then
import sys
import urllib.request

with urllib.request.urlopen(sys.argv[1], timeout=2) as response:
    sys.exit(0 if response.status == 200 else 1)
PY
      say "healthy: $url"
      return 0
    fi
    running web || { say "web exited; see $STACK_DIR/web.log"; tail -20 "$STACK_DIR/web.log" >&2; return 1; }
    sleep 0.5
  done
  say "web did not become healthy in 60 s"
  return 1
}

up() {
  mkdir -p "$STACK_DIR"
  for name in "${PROCESSES[@]}"; do
    if running "$name"; then say "$name is already running; run 'make stack-down' first"; exit 1; fi
  done
  SECRET_KEY=${SECRET_KEY:-$(secret_key)}
  export SECRET_KEY
  # Counter files of an earlier run would be summed into this one's.
  rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
  database_create
  # Independent of each other, so side by side: each spends most of its time starting Django.
  local collect=""
  if [ "${STACK_COLLECTSTATIC:-1}" = 1 ]; then
    bash deploy/run.sh collectstatic >"$STACK_DIR/collectstatic.log" 2>&1 &
    collect=$!
  fi
  bash deploy/run.sh migrate
  if [ "${STACK_SEED_DEMO:-0}" = 1 ]; then python manage.py seed_demo --if-empty; fi
  if [ -n "$collect" ] && ! wait "$collect"; then
    say "collectstatic failed; see $STACK_DIR/collectstatic.log"; exit 1
  fi
  for name in "${PROCESSES[@]}"; do start "$name"; done
  if ! wait_healthy; then down; exit 1; fi
  say "site http://$STACK_HOST:$STACK_PORT/  health /health/  metrics /metrics"
  say "stop with: make stack-down"
}

signal_group() {  # name signal: signal the process group of a running process
  local file=$STACK_DIR/$1.pid
  [ -f "$file" ] && kill "-$2" -- "-$(cat "$file")" 2>/dev/null || true
}

wait_stopped() {  # name: wait up to STACK_STOP_SECONDS, then SIGKILL the rest of its group
  local file=$STACK_DIR/$1.pid pgid
  [ -f "$file" ] || return 0
  pgid=$(cat "$file")
  for _ in $(seq 1 $((STACK_STOP_SECONDS * 10))); do
    pgid_alive "$pgid" || break
    sleep 0.1
  done
  if pgid_alive "$pgid"; then
    say "$1 ignored SIGTERM for $STACK_STOP_SECONDS s; killing it"
    kill -KILL -- "-$pgid" 2>/dev/null || true
    for _ in $(seq 1 50); do pgid_alive "$pgid" || break; sleep 0.1; done
  fi
  rm -f "$file"
  say "$1 stopped"
}

down() {
  # All at once: beat sends no new jobs, the worker finishes its job (an unfinished one goes
  # back to the queue), the web closes its connections. Each gets STACK_STOP_SECONDS.
  local started=$SECONDS
  for name in beat worker web; do signal_group "$name" TERM; done
  for name in beat worker web; do wait_stopped "$name"; done
  say "down in $((SECONDS - started)) s"
}

status() {
  for name in "${PROCESSES[@]}"; do
    if running "$name"; then say "$name running (process group $(cat "$STACK_DIR/$name.pid"))"
    else say "$name stopped"; fi
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: deploy/local.sh up|down|status" >&2; exit 64 ;;
esac
