"""The project's wiring: settings, URLs, the ASGI/WSGI and Celery entry points, operator endpoints.

The Celery app is loaded with Django so that ``@shared_task`` binds to it in every process.
"""

from __future__ import annotations

from config.celery import app as celery_app

__all__ = ["celery_app"]
