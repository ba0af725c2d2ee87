"""Pushing finished runs to open leaderboard pages over the channel layer."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from leaderboards.models import RatingRun
from leaderboards.selectors import run_snapshot

logger = logging.getLogger(__name__)


def group_name(arena_slug: str, leaderboard_slug: str) -> str:
    """The Channels group of one leaderboard's pages (each arena's boards are separate)."""
    return f"leaderboard.{arena_slug}.{leaderboard_slug}"


def snapshot_publish(run_id: int) -> None:
    """Send a finished run to its leaderboard's group; called on commit.

    A push can be lost (the layer is down, a page is reconnecting): pages fetch the latest
    snapshot when they connect, so a lost push only delays an update.
    """
    run = RatingRun.objects.select_related("leaderboard__arena").get(pk=run_id)
    layer = get_channel_layer()
    if layer is None:
        return
    group = group_name(run.leaderboard.arena.slug, run.leaderboard.slug)
    try:
        async_to_sync(layer.group_send)(
            group, {"type": "leaderboard.updated", "payload": run_snapshot(run)}
        )
    except Exception:  # the layer's errors vary by backend; a lost push is recoverable
        logger.warning("could not publish run %s to %s", run_id, group, exc_info=True)
