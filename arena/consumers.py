"""Own-prompt battles over a websocket: the voter's prompt in, two answers streamed out.

The consumer only moves text: every write is a service of ``arena.services.live`` (run in
Django's thread pool), every read a selector. The answers stream through the maintained
``openai`` async client, one shared client per endpoint server, straight from the
endpoint's events to the socket: each piece is sent as it arrives, not batched.

Frames the page sends: ``{"type": "prompt", "text"}`` (a new battle), ``{"type":
"followup", "battle", "text"}``, ``{"type": "vote", "battle", "outcome"}``. Frames it gets:
``battle``, ``delta`` (side, turn, text), ``done`` (side, turn), ``ready`` (a follow-up or
the vote may come), ``void`` (the battle was voided; nothing counted), ``voted`` (the
names), and ``error`` (code, status, message: the same as the HTTP refusal would be).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.urls import reverse

from arena import jsonsafe, selectors
from arena.exceptions import ArenaError, BattleNotFound, InvalidRequest
from arena.models import Arena
from arena.services import live as live_services
from arena.services.endpoints import EndpointConfig, EndpointError, chat_stream, shared_client
from arena.services.votes import outcome_parse
from arena.voters import Voter

logger = logging.getLogger(__name__)

#: Service calls run in the thread pool, not Django's one thread for sync code: fifty
#: battles starting at once would otherwise wait for each other's writes before their first
#: token. Each call is a transaction of its own, so no call needs another's thread.
_db = functools.partial(database_sync_to_async, thread_sensitive=False)

#: Calls in flight per endpoint (its ``concurrency``), per event loop of this process.
_limits: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str, str], asyncio.Semaphore]
]
_limits = weakref.WeakKeyDictionary()


def _limit(config: EndpointConfig) -> asyncio.Semaphore:
    limits = _limits.setdefault(asyncio.get_running_loop(), {})
    return limits.setdefault((config.base_url, config.model), asyncio.Semaphore(config.concurrency))


@dataclass
class _Stream:
    """One answer as the voter has seen it so far."""

    started: float = field(default_factory=time.perf_counter)
    first: float | None = None
    pieces: list[str] = field(default_factory=list)
    done: bool = False

    def measure(self) -> live_services.AnswerMeasure:
        now = time.perf_counter()
        return live_services.AnswerMeasure(
            text="".join(self.pieces),
            first_token_ms=None if self.first is None else round((self.first - self.started) * 1e3),
            latency_ms=round((now - self.started) * 1e3),
            output_tokens=len(self.pieces),
        )


class LiveBattleConsumer(AsyncJsonWebsocketConsumer):
    arena: Arena | None = None
    public_id: str | None = None

    async def connect(self) -> None:
        self.streams: dict[int, _Stream] = {}
        self.tasks: set[asyncio.Task[Any]] = set()
        self.arena = await self._arena(self.scope["url_route"]["kwargs"].get("slug"))
        if self.arena is None:
            await self.close()
            return
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self._abandon("The voter left before voting.")

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        try:
            frame = jsonsafe.loads(text_data if text_data is not None else (bytes_data or b""))
            if not isinstance(frame, dict):
                raise InvalidRequest("Frames are JSON objects with a type.")
            await self._dispatch(frame)
        except jsonsafe.UnsafeJSON:
            await self._error(InvalidRequest("Frames must be JSON text."))
        except ArenaError as error:
            await self._error(error)

    async def _dispatch(self, frame: dict[str, Any]) -> None:
        kind, text = frame.get("type"), frame.get("text", "")
        if not isinstance(text, str):
            raise InvalidRequest("The text must be a string.")
        if kind == "prompt":
            await self._abandon("The voter asked a new prompt before voting.")
            if self.arena is None:  # connect closed the socket; a frame is not expected
                raise InvalidRequest
            start = await _db(live_services.live_battle_start)(
                arena=self.arena, voter=self._voter(), text=text
            )
            await self.send_json({"type": "battle", "battle": start.public_id})
            self._stream(start)
        elif kind == "followup":
            start = await _db(live_services.live_turn_add)(
                public_id=self._battle_id(frame), voter=self._voter(), text=text
            )
            self._stream(start)
        elif kind == "vote":
            await self._vote(self._battle_id(frame), frame.get("outcome", ""))
        else:
            raise InvalidRequest("The frame type must be prompt, followup or vote.")

    def _stream(self, start: live_services.LiveTurnStart) -> None:
        self.public_id = start.public_id
        self.streams = {}
        task = asyncio.create_task(self._turn(start))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _turn(self, start: live_services.LiveTurnStart) -> None:
        """Both answers at once; the first to fail voids the battle and stops the other."""
        answers = [asyncio.create_task(self._answer(start, call)) for call in start.calls]
        try:
            for finished in asyncio.as_completed(answers):
                failure = await finished
                if failure is not None:
                    await self._void(start.public_id, failure)
                    return
        finally:
            for answer in answers:
                answer.cancel()
        await _db(live_services.live_turn_finish)(public_id=start.public_id)
        await self.send_json({"type": "ready", "battle": start.public_id, "turn": start.turn})

    async def _answer(
        self, start: live_services.LiveTurnStart, call: live_services.LiveCall
    ) -> str | None:
        """Stream one answer to the page and store it; why it failed, or None."""
        config = call.config
        async with _limit(config):
            stream = self.streams[call.completion_id] = _Stream()
            frame = {"type": "delta", "side": call.side, "turn": start.turn}
            try:
                async with asyncio.timeout(config.timeout):
                    async for piece in chat_stream(shared_client(config), config, call.messages):
                        if stream.first is None:
                            stream.first = time.perf_counter()
                        stream.pieces.append(piece)
                        await self.send_json(frame | {"text": piece})
            except EndpointError as error:
                return f"Model {call.side.upper()}: {error}"
            except TimeoutError:
                return f"Model {call.side.upper()}: no whole answer in {config.timeout:g} s."
        await _db(live_services.live_answer_store)(call=call, measure=stream.measure())
        stream.done = True
        await self.send_json({"type": "done", "side": call.side, "turn": start.turn})
        return None

    async def _void(self, public_id: str, reason: str) -> None:
        voided = await _db(live_services.live_battle_void)(public_id=public_id, reason=reason)
        if voided:
            logger.info("live battle %s voided: %s", public_id, reason)
            if self.public_id == public_id:
                self.public_id = None
            message = (
                "An answer failed before it was finished, so this battle was voided and "
                "nothing was counted. Ask again for a new pair."
            )
            await self.send_json({"type": "void", "battle": public_id, "message": message})

    async def _abandon(self, reason: str) -> None:
        """Stop the current battle's streams; an unvoted battle is voided."""
        streaming = [task for task in self.tasks if not task.done()]
        for task in streaming:
            task.cancel()
        if self.public_id is not None:
            await _db(live_services.live_battle_void)(public_id=self.public_id, reason=reason)
            self.public_id = None

    async def _vote(self, public_id: str, value: object) -> None:
        outcome = outcome_parse(value)
        cut: dict[int, live_services.AnswerMeasure] = {}
        if public_id == self.public_id:
            for task in list(self.tasks):
                task.cancel()  # the voter cuts the models off: the rest is not shown
            cut = {cid: s.measure() for cid, s in self.streams.items() if not s.done}
        await _db(live_services.live_vote)(
            public_id=public_id, voter=self._voter(), outcome=outcome, cut=cut
        )
        if public_id == self.public_id:
            self.public_id = None
        names = await self._names(public_id)
        url = reverse("battle-result", args=[public_id])
        await self.send_json({"type": "voted", "battle": public_id, "url": url, **names})

    async def _error(self, error: ArenaError) -> None:
        frame = {"type": "error", "code": error.code, "status": error.status}
        await self.send_json(frame | {"message": error.message})

    def _battle_id(self, frame: dict[str, Any]) -> str:
        value = frame.get("battle")
        if not isinstance(value, str) or not value:
            raise BattleNotFound
        return value

    def _voter(self) -> Voter:
        user = self.scope.get("user")
        client = self.scope.get("client") or ("", 0)
        address = str(client[0] or "")
        if user is not None and user.is_authenticated:
            return Voter(user=user, address=address)  # type: ignore[arg-type]
        session = self.scope.get("session")
        key = getattr(session, "session_key", None)
        if not key:
            raise InvalidRequest("Open the arena's page first: it starts the browser's session.")
        return Voter(session_key=key, address=address)

    @database_sync_to_async
    def _arena(self, slug: str | None) -> Arena | None:
        try:
            return selectors.arena_get_for_viewer(slug=slug, user=self.scope.get("user"))  # type: ignore[arg-type]
        except ArenaError:
            return None

    @database_sync_to_async
    def _names(self, public_id: str) -> dict[str, str]:
        live = selectors.live_battle_get_for_voter(public_id=public_id, voter=self._voter())
        return {"a": live.battle.competitor_a.name, "b": live.battle.competitor_b.name}
