"""Calling competitors' and judges' endpoints through the maintained ``openai`` client.

Every OpenAI-compatible server (vLLM, SGLang, TGI, llama.cpp's server, Ollama, hosted APIs)
speaks ``/v1/chat/completions``; ``AsyncOpenAI`` handles its HTTP, its server-sent events and
its error bodies, so no HTTP is written here. The client's own retries are off: the Celery
tasks that call these functions retry with back-off and record each failure, which the
client's silent retries would hide. Calls run concurrently up to the endpoint's limit, in one
event loop per batch (a worker process runs one batch at a time).
"""

from __future__ import annotations

import asyncio
import os
import time
import weakref
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
import openai
from django.conf import settings
from openai import AsyncOpenAI, AsyncStream
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ChatCompletionMessageParam

from arena.models import Endpoint
from arena.models.endpoints import GENERATION_PARAMS

Messages = Sequence[dict[str, str]]


class EndpointError(Exception):
    """A call that brought no complete answer: an HTTP error, a timeout, a stream cut short."""


class EndpointKeyMissing(EndpointError):
    """The setting or environment variable the endpoint names holds no key."""


@dataclass(frozen=True, slots=True)
class EndpointConfig:
    """What a call needs, read from the endpoint row and the settings at call time."""

    base_url: str
    model: str
    api_key: str
    params: dict[str, Any] = field(default_factory=dict)
    concurrency: int = 4
    timeout: float = 120.0


@dataclass(frozen=True, slots=True)
class ChatResult:
    text: str
    latency_ms: int
    output_tokens: int | None
    finish_reason: str


def endpoint_config(endpoint: Endpoint) -> EndpointConfig:
    """The endpoint's call settings, its key read from the setting (or variable) it names."""
    name = endpoint.api_key_setting.strip()
    key = "not-needed"  # the client requires one; keyless local servers ignore it
    if name:
        key = str(getattr(settings, name, "") or os.environ.get(name, ""))
        if not key:
            raise EndpointKeyMissing(f"The key setting {name!r} of {endpoint.name} is empty.")
    unknown = set(endpoint.params) - GENERATION_PARAMS
    if unknown:
        raise EndpointError(f"Unknown generation parameter(s): {', '.join(sorted(unknown))}.")
    return EndpointConfig(
        base_url=endpoint.base_url,
        model=endpoint.model,
        api_key=key,
        params=dict(endpoint.params),
        concurrency=endpoint.concurrency,
        timeout=endpoint.timeout_seconds,
    )


#: Live battles' clients, per event loop and server: an answer reuses the pool's connections
#: (a new client per answer would cost its SSL context and a TCP handshake before the first
#: token). Weak keys: a closed loop's clients go with it.
_shared: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str, str, float], AsyncOpenAI]
]
_shared = weakref.WeakKeyDictionary()


def shared_client(config: EndpointConfig) -> AsyncOpenAI:
    """The running loop's client for this endpoint's server (kept for the loop's life)."""
    clients = _shared.setdefault(asyncio.get_running_loop(), {})
    key = (config.base_url, config.api_key, config.timeout)
    if key not in clients:
        clients[key] = _client(config)
    return clients[key]


async def _moderation_flagged(config: EndpointConfig, text: str) -> bool:
    async with _client(config) as client:
        try:
            reply = await client.moderations.create(input=text, model=config.model)
        except (openai.OpenAIError, httpx.HTTPError) as error:
            raise EndpointError(_describe(error)) from error
    return any(result.flagged for result in reply.results)


def moderation_flagged(config: EndpointConfig, text: str) -> bool:
    """Whether an OpenAI-compatible ``/v1/moderations`` API flags ``text``; EndpointError when
    it gives no answer (the caller refuses the prompt rather than let it through unchecked)."""
    return asyncio.run(_moderation_flagged(config, text))


def _client(config: EndpointConfig) -> AsyncOpenAI:
    return AsyncOpenAI(
        base_url=config.base_url, api_key=config.api_key, timeout=config.timeout, max_retries=0
    )


async def chat(client: AsyncOpenAI, config: EndpointConfig, messages: Messages) -> ChatResult:
    """One answer, whole (``stream=False``); EndpointError when none came."""
    started = time.perf_counter()
    try:
        reply = cast(
            ChatCompletion,
            await client.chat.completions.create(
                model=config.model, messages=_params(messages), stream=False, **config.params
            ),
        )
    except (openai.OpenAIError, httpx.HTTPError) as error:
        raise EndpointError(_describe(error)) from error
    if not reply.choices or reply.choices[0].message.content is None:
        raise EndpointError("The endpoint answered with no text.")
    choice = reply.choices[0]
    return ChatResult(
        text=choice.message.content or "",
        latency_ms=round((time.perf_counter() - started) * 1000),
        output_tokens=reply.usage.completion_tokens if reply.usage else None,
        finish_reason=choice.finish_reason or "",
    )


async def chat_stream(
    client: AsyncOpenAI, config: EndpointConfig, messages: Messages
) -> AsyncIterator[str]:
    """The answer's text as it arrives (``stream=True``), piece by piece.

    A stream that ends without a finish reason was cut short (the server or the network
    dropped it): EndpointError, after the pieces that did arrive, so a caller showing them
    live can void what it showed.
    """
    finished = False
    try:
        stream = cast(
            AsyncStream[ChatCompletionChunk],
            await client.chat.completions.create(
                model=config.model, messages=_params(messages), stream=True, **config.params
            ),
        )
        async for chunk in stream:
            for choice in chunk.choices:
                if choice.delta.content:
                    yield choice.delta.content
                finished = finished or bool(choice.finish_reason)
    except (openai.OpenAIError, httpx.HTTPError) as error:
        raise EndpointError(_describe(error)) from error
    except ValueError as error:  # an event that is not JSON: the client lets json's error out
        raise EndpointError(f"The stream could not be read: {error}"[:500]) from error
    if not finished:
        raise EndpointError("The stream ended before the answer was finished.")


async def chat_streamed(
    client: AsyncOpenAI, config: EndpointConfig, messages: Messages
) -> ChatResult:
    """One answer gathered from its stream (what a live battle shows, kept whole)."""
    started = time.perf_counter()
    pieces = [piece async for piece in chat_stream(client, config, messages)]
    latency = round((time.perf_counter() - started) * 1000)
    return ChatResult("".join(pieces), latency, None, "stop")


async def _chat_many(
    config: EndpointConfig, conversations: Sequence[Messages], stream: bool
) -> list[ChatResult | EndpointError]:
    limit = asyncio.Semaphore(config.concurrency)
    call = chat_streamed if stream else chat
    async with _client(config) as client:

        async def one(messages: Messages) -> ChatResult | EndpointError:
            async with limit:
                try:
                    return await call(client, config, messages)
                except EndpointError as error:
                    return error

        return list(await asyncio.gather(*(one(m) for m in conversations)))


def chat_many(
    config: EndpointConfig, conversations: Sequence[Messages], *, stream: bool = False
) -> list[ChatResult | EndpointError]:
    """Answers to ``conversations`` in order, at most ``config.concurrency`` in flight; a
    failed call gives its EndpointError in its place, so one failure costs only its answer."""
    return asyncio.run(_chat_many(config, conversations, stream))


def _params(messages: Messages) -> list[ChatCompletionMessageParam]:
    """The messages as the client types them (role and content, checked by the server)."""
    return cast(list[ChatCompletionMessageParam], list(messages))


def _describe(error: BaseException) -> str:
    if isinstance(error, openai.APIStatusError):
        return f"HTTP {error.status_code} from the endpoint: {error.message}"[:500]
    if isinstance(error, openai.APITimeoutError):
        return "The endpoint did not answer in time."
    return f"{type(error).__name__}: {error}"[:500]
