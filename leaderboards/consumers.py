"""Live leaderboards over websockets: push only, never a write."""

from __future__ import annotations

import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from arena import jsonsafe
from arena import selectors as arena_selectors
from arena.exceptions import ArenaError
from leaderboards import selectors
from leaderboards.models import Leaderboard
from leaderboards.publish import group_name

logger = logging.getLogger(__name__)


class LeaderboardConsumer(AsyncJsonWebsocketConsumer):
    """Sends the latest snapshot of every method on connect, then each new one as it lands.

    The consumer joins the group before it reads the snapshots: a run published in between is
    then sent twice (pages keep the newest by watermark) rather than not at all.
    An arena the user may not see, or a leaderboard that does not exist, gets the same answer:
    the handshake is refused, so a private arena cannot be told from a missing one.
    """

    group: str | None = None

    async def connect(self) -> None:
        kwargs = self.scope["url_route"]["kwargs"]
        found = await self._leaderboard(kwargs.get("slug"), kwargs["board"])
        if found is None:
            await self.close()
            return
        arena_slug, leaderboard = found
        self.group = group_name(arena_slug, leaderboard.slug)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        for snapshot in await self._snapshots(leaderboard):
            await self.send_json(snapshot)

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        """Nothing a page sends is acted on; a frame that is not JSON text gets an error frame.

        Channels' JSON consumer would raise on it, and the server log an ERROR traceback for
        what is only a confused or hostile client: one WARNING line is enough.
        """
        try:
            jsonsafe.loads(text_data if text_data is not None else (bytes_data or b""))
        except jsonsafe.UnsafeJSON as error:
            logger.warning("websocket frame refused on %s: %s", self.scope.get("path"), error)
            message = "This socket only pushes boards; frames sent to it must be JSON text."
            await self.send_json({"type": "error", "code": "invalid_frame", "message": message})
            return
        if text_data is None:
            message = "Frames must be text."
            await self.send_json({"type": "error", "code": "invalid_frame", "message": message})

    async def leaderboard_updated(self, event: dict[str, Any]) -> None:
        await self.send_json(event["payload"])

    @database_sync_to_async
    def _leaderboard(self, slug: str | None, board: str) -> tuple[str, Leaderboard] | None:
        try:
            user = self.scope.get("user")  # AuthMiddlewareStack resolved it on connect
            arena = arena_selectors.arena_get_for_viewer(slug=slug, user=user)  # type: ignore[arg-type]
            return arena.slug, selectors.leaderboard_get(arena, board)
        except ArenaError:
            return None

    @database_sync_to_async
    def _snapshots(self, leaderboard: Leaderboard) -> list[dict[str, Any]]:
        runs = [selectors.run_latest(leaderboard, m) for m in leaderboard.methods]
        return [selectors.run_snapshot(run) for run in runs if run is not None]
