#!/usr/bin/env bash
# The processes of a deployment, one per call. The container image, Kubernetes, compose and
# `make stack` (deploy/local.sh) all start their processes through this script, so they run
# the same commands with the same options.
#
#   deploy/run.sh web            gunicorn with WEB_CONCURRENCY uvicorn workers on WEB_BIND
#   deploy/run.sh worker         a Celery worker (CELERY_CONCURRENCY processes)
#   deploy/run.sh beat           celery beat: exactly one per deployment
#   deploy/run.sh migrate        apply database migrations (once per release, before the rest)
#   deploy/run.sh collectstatic  gather static files into STATIC_ROOT (done in the image build)
set -euo pipefail
cd "$(dirname "$0")/.."

# prometheus-client's multiprocess mode: each process writes its counters under this
# directory. It must exist, and be emptied once before the processes of a host start (a fresh
# volume in a container; deploy/local.sh empties it).
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
  mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
fi

# With JSON logs, Celery's start-up banner (plain text on stdout) would break the stream.
celery_quiet=()
if [ "${LOG_FORMAT:-text}" = json ]; then celery_quiet=(--quiet); fi

case "${1:-}" in
  web)
    # Django asks for no persistent connections under ASGI: sync views run in changing
    # threads, and a kept connection per thread piles up. Workers keep DATABASE_CONN_MAX_AGE.
    export DATABASE_CONN_MAX_AGE="${WEB_DATABASE_CONN_MAX_AGE:-0}"
    exec gunicorn --config deploy/gunicorn.conf.py config.asgi:application
    ;;
  worker)
    # --loglevel also sets the root logger's level, so it follows LOG_LEVEL too.
    exec celery -A config "${celery_quiet[@]}" worker --loglevel "${LOG_LEVEL:-INFO}" \
      --concurrency "${CELERY_CONCURRENCY:-2}" \
      --hostname "${CELERY_HOSTNAME:-worker@%h}" \
      ${CELERY_WORKER_QUEUES:+--queues "$CELERY_WORKER_QUEUES"} \
      --without-gossip --without-mingle
    ;;
  beat)
    exec celery -A config "${celery_quiet[@]}" beat --loglevel "${LOG_LEVEL:-INFO}" --schedule "${CELERY_BEAT_SCHEDULE_FILE:-/tmp/celerybeat-schedule}"
    ;;
  migrate)
    exec python manage.py migrate --no-input
    ;;
  collectstatic)
    exec python manage.py collectstatic --no-input
    ;;
  *)
    echo "usage: deploy/run.sh web|worker|beat|migrate|collectstatic" >&2
    exit 64
    ;;
esac
