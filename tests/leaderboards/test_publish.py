"""Finished runs reach the leaderboard's group on the real channel layer, and only that group."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from leaderboards import services
from leaderboards.models import RatingRun
from leaderboards.publish import group_name

pytestmark = pytest.mark.django_db(transaction=True)


async def _receive(layer, channel: str, timeout: float = 5.0):
    return await asyncio.wait_for(layer.receive(channel), timeout)


def test_finished_run_is_sent_to_its_group_and_not_to_others(cast_votes, make_arena):
    make_arena("other")
    cast_votes(15)
    services.leaderboards_check(enqueue=False)
    layer = get_channel_layer()
    mine = async_to_sync(layer.new_channel)()
    theirs = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group_name("main", "all"), mine)
    async_to_sync(layer.group_add)(group_name("other", "all"), theirs)
    run = RatingRun.objects.get(leaderboard__slug="all", method="bt")
    services.rating_run_execute(run_id=run.id, task_id="t")
    message = async_to_sync(_receive)(layer, mine)
    assert message["type"] == "leaderboard.updated"
    payload = message["payload"]
    run.refresh_from_db()
    assert (payload["method"], payload["watermark"], payload["run_id"]) == (
        "bt",
        run.watermark,
        run.id,
    )
    assert payload["competitors"] == run.result["competitors"]
    with pytest.raises(asyncio.TimeoutError):
        async_to_sync(_receive)(layer, theirs, 0.5)
