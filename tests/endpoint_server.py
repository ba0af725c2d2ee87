"""A local OpenAI-compatible chat server for tests: real HTTP, real server-sent events.

``/v1/chat/completions`` answers with ``stream`` true or false, as vLLM or Ollama would;
``/v1/moderations`` flags an input containing one of the server's ``flagged`` words. What
it answers is scripted: a test passes a function from the request body to a ``Reply`` (text,
latency, an HTTP error such as 500 or 429, a stream cut short after some pieces). It runs under
uvicorn in a thread of the test process, on a free loopback port, so a Celery worker in a
subprocess reaches it over the network exactly as it would reach a model server.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from bench.ports import free_port


@dataclass(frozen=True)
class Reply:
    text: str = ""
    status: int = 200
    #: Seconds before the first byte (the whole answer when not streaming).
    delay: float = 0.0
    #: Seconds between streamed pieces.
    piece_delay: float = 0.0
    #: Streaming: stop after this many pieces, with no finish reason and no [DONE].
    cut_after: int | None = None
    #: Streaming: after this many pieces, an event whose data is not JSON (a garbling proxy).
    garble_after: int | None = None


Script = Callable[[dict[str, Any]], Reply]


def last_user_message(body: dict[str, Any]) -> str:
    return str([m for m in body["messages"] if m["role"] == "user"][-1]["content"])


def pieces_of(text: str) -> list[str]:
    """The text in pieces of one word and its following space, as a tokenizer would send."""
    words = text.split(" ")
    return [w + " " for w in words[:-1]] + [words[-1]] if text else []


class EndpointServer:
    def __init__(self, script: Script, flagged: tuple[str, ...] = ("flagme",)) -> None:
        self.script = script
        self.flagged = flagged
        self.port = free_port()
        self.requests: list[dict[str, Any]] = []
        #: Requests being answered now, and the most at once (for concurrency limits).
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()
        app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/moderations", self._moderate, methods=["POST"]),
            ]
        )
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise TimeoutError("the endpoint test server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def received(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.requests)

    async def _moderate(self, request: Request) -> Response:
        body = await request.json()
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        results = [
            {
                "flagged": (hit := any(w in str(t).lower() for w in self.flagged)),
                "categories": {"harassment": hit},
                "category_scores": {"harassment": 1.0 if hit else 0.0},
            }
            for t in texts
        ]
        return JSONResponse(
            {"id": f"modr-{uuid.uuid4().hex}", "model": body.get("model", ""), "results": results}
        )

    async def _chat(self, request: Request) -> Response:
        body = await request.json()
        with self._lock:
            self.requests.append(body)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            return await self._answer(body)
        finally:
            with self._lock:
                self.in_flight -= 1

    async def _answer(self, body: dict[str, Any]) -> Response:
        reply = self.script(body)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.status != 200:
            error = {"message": f"scripted error {reply.status}", "type": "server_error"}
            return JSONResponse({"error": error}, status_code=reply.status)
        if body.get("stream"):
            return StreamingResponse(
                self._events(body["model"], reply), media_type="text/event-stream"
            )
        return JSONResponse(self._whole(body["model"], reply.text))

    @staticmethod
    def _whole(model: str, text: str) -> dict[str, Any]:
        n = len(pieces_of(text))
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": n, "total_tokens": n + 1},
        }

    @staticmethod
    async def _events(model: str, reply: Reply) -> AsyncIterator[str]:
        ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

        def event(delta: dict[str, str], finish: str | None) -> str:
            chunk = {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return f"data: {json.dumps(chunk)}\n\n"

        yield event({"role": "assistant", "content": ""}, None)
        for number, piece in enumerate(pieces_of(reply.text)):
            if reply.cut_after is not None and number >= reply.cut_after:
                return
            if reply.garble_after is not None and number >= reply.garble_after:
                yield 'data: {"choices": [{"delta": {"content": "half\n\n'
                return
            if reply.piece_delay:
                await asyncio.sleep(reply.piece_delay)
            yield event({"content": piece}, None)
        yield event({}, "stop")
        yield "data: [DONE]\n\n"
