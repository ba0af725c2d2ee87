"""One logging configuration for every process: Django, Celery, and gunicorn's own loggers.

``LOG_FORMAT=json`` gives one JSON object a line (python-json-logger), which log shippers parse
without patterns; ``text`` is for people reading a terminal. It is a plain function, without
Django, because ``deploy/gunicorn.conf.py`` uses it before Django starts.
"""

from __future__ import annotations

from typing import Any

FORMATS = ("text", "json")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

_TEXT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"
_JSON_FIELDS = "%(asctime)s %(levelname)s %(process)d %(name)s %(message)s"


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dictionary; ValueError names a bad format or level."""
    if log_format not in FORMATS:
        raise ValueError(f"LOG_FORMAT={log_format!r}: use one of {', '.join(FORMATS)}")
    level = level.upper()
    if level not in LEVELS:
        raise ValueError(f"LOG_LEVEL={level!r}: use one of {', '.join(LEVELS)}")
    console = {"class": "logging.StreamHandler", "formatter": log_format}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "text": {"format": _TEXT},
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": _JSON_FIELDS,
                "rename_fields": {"asctime": "time", "levelname": "level"},
            },
        },
        "handlers": {"console": console},
        "root": {"handlers": ["console"], "level": level},
        # Django's own defaults add a DEBUG-only console and mail_admins; one handler is enough.
        "loggers": {
            "django": {"handlers": ["console"], "level": level, "propagate": False},
            "gunicorn.error": {"handlers": ["console"], "level": level, "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": level, "propagate": False},
        },
    }
