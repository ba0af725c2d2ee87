"""gunicorn settings for the web process: several uvicorn (ASGI) workers behind one port.

gunicorn supervises the workers (restarts a dead one, graceful reloads on SIGHUP, graceful
stop on SIGTERM); each worker is a uvicorn event loop serving HTTP and websockets
(``uvicorn_worker.UvicornWorker``, the worker class Django's deployment docs name). Every
value comes from the environment, so the container, Kubernetes and ``make stack`` share this
file.
"""

from __future__ import annotations

import os

from config.logconfig import logging_config

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "uvicorn_worker.UvicornWorker"
# Websockets stay open for as long as a board page is; gunicorn's timeout only guards against
# a worker whose event loop is stuck, since uvicorn workers answer its heartbeat themselves.
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT", "20"))
keepalive = 5
accesslog = "-" if os.environ.get("WEB_ACCESS_LOG", "1") == "1" else None
logconfig_dict = logging_config(
    os.environ.get("LOG_FORMAT", "text"), os.environ.get("LOG_LEVEL", "INFO")
)
# The server never rewrites the client's address or scheme from X-Forwarded-* headers, whoever
# sends them (FORWARDED_ALLOW_IPS is ignored on purpose): Django alone decides, from one setting,
# ARENA_TRUSTED_PROXY_COUNT (arena/net.py) for the address and SECURE_PROXY_SSL for the scheme.
# Had uvicorn rewritten REMOTE_ADDR as well, a client reaching this port directly could pick its
# address and escape the per-address limits and the sign-in lock-out.
forwarded_allow_ips = ""


def child_exit(server: object, worker: object) -> None:
    """Tell prometheus-client a worker died, so its live gauges stop counting."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
