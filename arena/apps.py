from __future__ import annotations

from django.apps import AppConfig


class ArenaConfig(AppConfig):
    name = "arena"
    verbose_name = "Arena"

    def ready(self) -> None:
        # The handlers connect on import; the tasks register with the Celery app, so that a
        # service can queue them by name in any process (and eagerly in the demo).
        from arena import signals, tasks  # noqa: F401
