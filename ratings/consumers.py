"""Live leaderboards over websockets: push only, never a write."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from arena import selectors as arena_selectors
from arena.exceptions import ArenaError
from ratings import selectors
from ratings.publish import group_name


class LeaderboardConsumer(AsyncJsonWebsocketConsumer):
    """Sends the latest snapshot of every method on connect, then each new one as it lands.

    An arena the user may not see, or a leaderboard that does not exist, gets the same answer:
    the handshake is refused, so a private arena cannot be told from a missing one.
    """

    group: str | None = None

    async def connect(self) -> None:
        kwargs = self.scope["url_route"]["kwargs"]
        snapshots = await self._snapshots(kwargs.get("slug"), kwargs["board"])
        if snapshots is None:
            await self.close()
            return
        self.group = group_name(snapshots["arena"], kwargs["board"])
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        for snapshot in snapshots["runs"]:
            await self.send_json(snapshot)

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def leaderboard_updated(self, event: dict[str, Any]) -> None:
        await self.send_json(event["payload"])

    @database_sync_to_async
    def _snapshots(self, slug: str | None, board: str) -> dict[str, Any] | None:
        try:
            arena = arena_selectors.arena_get_for_viewer(slug=slug, user=self.scope.get("user"))
        except ArenaError:
            return None
        try:
            leaderboard = selectors.leaderboard_get(arena, board)
        except ArenaError:
            return None
        runs = [selectors.run_latest(leaderboard, m) for m in leaderboard.methods]
        return {
            "arena": arena.slug,
            "runs": [selectors.run_snapshot(run) for run in runs if run is not None],
        }
