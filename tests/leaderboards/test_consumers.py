"""The leaderboard websocket: the latest snapshot on connect, pushes after, private arenas shut."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from leaderboards import services
from leaderboards.models import RatingRun

pytestmark = pytest.mark.django_db(transaction=True)
HEADERS = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


def _run_all() -> None:
    for run_id in services.leaderboards_check(enqueue=False):
        services.rating_run_execute(run_id=run_id, task_id=f"t{run_id}")


async def test_connect_sends_latest_snapshots_then_pushes(cast_votes):
    await sync_to_async(cast_votes)(10)
    await sync_to_async(_run_all)()
    communicator = WebsocketCommunicator(application, "/ws/a/main/boards/all/", headers=HEADERS)
    connected, _ = await communicator.connect()
    assert connected
    done = await sync_to_async(
        lambda: set(
            RatingRun.objects.filter(leaderboard__slug="all", status="done").values_list(
                "method", flat=True
            )
        )
    )()
    assert {"elo", "bt"} <= done  # style-bt fails here: every answer has the same style
    first = {(await communicator.receive_json_from(timeout=5))["method"] for _ in done}
    assert first == done
    await sync_to_async(cast_votes)(3, seed=9)
    await sync_to_async(_run_all)()
    pushed = [await communicator.receive_json_from(timeout=5) for _ in done]
    latest = await sync_to_async(
        lambda: (
            RatingRun.objects.filter(leaderboard__slug="all", status="done")
            .order_by("-watermark")
            .first()
            .watermark
        )
    )()
    assert {p["watermark"] for p in pushed} == {latest}
    assert {p["method"] for p in pushed} == done
    assert {p["n_votes"] for p in pushed} == {13}
    await communicator.disconnect()


@pytest.mark.parametrize(
    "path",
    ["/ws/a/secret/boards/all/", "/ws/a/nowhere/boards/all/", "/ws/a/main/boards/no-such-board/"],
)
async def test_private_missing_arena_or_board_refuses_the_handshake(arena_setup, make_arena, path):
    await sync_to_async(make_arena)("secret", visibility="private")
    await sync_to_async(_run_all)()
    communicator = WebsocketCommunicator(application, path, headers=HEADERS)
    connected, _ = await communicator.connect()
    assert not connected


async def test_foreign_origin_is_refused(arena_setup):
    await sync_to_async(_run_all)()
    communicator = WebsocketCommunicator(
        application,
        "/ws/a/main/boards/all/",
        headers=[(b"origin", b"http://evil.example"), (b"host", b"testserver")],
    )
    connected, _ = await communicator.connect()
    assert not connected
