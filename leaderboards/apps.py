from __future__ import annotations

import logging
import threading
import time

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger(__name__)


class RatingsConfig(AppConfig):
    # The label stays "ratings" so that the tables and migration history of the first version
    # are this app's without a data migration.
    name = "leaderboards"
    label = "ratings"
    verbose_name = "Ratings"

    def ready(self) -> None:
        # The services enqueue runs by task name; registering the tasks here makes that name
        # known in every process, the web's included (in the demo's eager mode the web process
        # runs them; a worker would also find them by autodiscovery).
        from leaderboards import tasks  # noqa: F401

        if settings.ARENA_INPROCESS_BEAT:
            threading.Thread(target=_inprocess_beat, name="arena-beat", daemon=True).start()


def _inprocess_beat() -> None:
    """The demo's stand-in for celery beat: the leaderboard check in a thread of the web process.

    With CELERY_TASK_ALWAYS_EAGER the queued runs execute right here too. Production runs beat
    and workers instead (ARENA_INPROCESS_BEAT off, the default).
    """
    from django.db import close_old_connections

    from leaderboards import services

    interval = float(settings.CELERY_BEAT_SCHEDULE["leaderboards-check"]["schedule"])  # type: ignore[arg-type]
    while True:
        try:
            services.leaderboards_check()
        except Exception:  # keep the demo's boards going through a transient error
            logger.exception("in-process leaderboard check failed")
        finally:
            close_old_connections()
        time.sleep(interval)
