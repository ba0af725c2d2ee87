"""Arena: the Django project package and the main (voting) app."""

from __future__ import annotations

from arena.celery import app as celery_app

__all__ = ["celery_app"]
