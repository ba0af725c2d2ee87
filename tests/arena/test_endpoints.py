"""The endpoint layer against the local OpenAI-compatible server: real HTTP and SSE."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from arena.models import Endpoint
from arena.services.endpoints import (
    ChatResult,
    EndpointConfig,
    EndpointError,
    EndpointKeyMissing,
    chat_many,
    chat_stream,
    endpoint_config,
)
from tests.endpoint_server import Reply, last_user_message


def _config(url: str, **kwargs: Any) -> EndpointConfig:
    return EndpointConfig(base_url=url, model="m", api_key="k", **kwargs)


def _echo(body: dict[str, Any]) -> Reply:
    return Reply(text=f"you said: {last_user_message(body)}")


def test_whole_and_streamed_answers_arrive_in_order(endpoint_server: Any) -> None:
    server = endpoint_server(_echo)
    talks = [[{"role": "user", "content": f"q{i}"}] for i in range(6)]
    for stream in (False, True):
        results = chat_many(_config(server.url), talks, stream=stream)
        assert [r.text for r in results if isinstance(r, ChatResult)] == [
            f"you said: q{i}" for i in range(6)
        ]
    assert [b["stream"] for b in server.received()] == [False] * 6 + [True] * 6


def test_generation_parameters_and_model_are_sent(endpoint_server: Any) -> None:
    server = endpoint_server(_echo)
    config = _config(server.url, params={"temperature": 0.7, "max_tokens": 33, "seed": 4})
    chat_many(config, [[{"role": "user", "content": "x"}]])
    body = server.received()[0]
    assert (body["model"], body["temperature"], body["max_tokens"], body["seed"]) == (
        "m",
        0.7,
        33,
        4,
    )


def test_stream_pieces_come_as_sent(endpoint_server: Any) -> None:
    server = endpoint_server(lambda body: Reply(text="one two three four"))
    from openai import AsyncOpenAI

    async def collect() -> list[str]:
        config = _config(server.url)
        async with AsyncOpenAI(base_url=server.url, api_key="k", max_retries=0) as client:
            return [
                p async for p in chat_stream(client, config, [{"role": "user", "content": "q"}])
            ]

    assert asyncio.run(collect()) == ["one ", "two ", "three ", "four"]


@pytest.mark.parametrize("status", [500, 429])
def test_an_http_error_fails_only_its_own_call(endpoint_server: Any, status: int) -> None:
    def script(body: dict[str, Any]) -> Reply:
        bad = last_user_message(body) == "bad"
        return Reply(status=status) if bad else _echo(body)

    server = endpoint_server(script)
    talks = [[{"role": "user", "content": c}] for c in ("ok", "bad", "ok")]
    for stream in (False, True):
        first, failed, last = chat_many(_config(server.url), talks, stream=stream)
        assert isinstance(first, ChatResult)
        assert isinstance(last, ChatResult)
        assert isinstance(failed, EndpointError)
        assert f"HTTP {status}" in str(failed)


def test_a_stream_cut_short_is_a_failure(endpoint_server: Any) -> None:
    server = endpoint_server(lambda body: Reply(text="a b c d e f", cut_after=3))
    (result,) = chat_many(_config(server.url), [[{"role": "user", "content": "q"}]], stream=True)
    assert isinstance(result, EndpointError)
    assert "before the answer was finished" in str(result)


def test_a_slow_endpoint_times_out(endpoint_server: Any) -> None:
    server = endpoint_server(lambda body: Reply(text="late", delay=2.0))
    (result,) = chat_many(_config(server.url, timeout=0.3), [[{"role": "user", "content": "q"}]])
    assert isinstance(result, EndpointError)
    assert "in time" in str(result)


def test_calls_in_flight_stay_within_the_concurrency_limit(endpoint_server: Any) -> None:
    server = endpoint_server(lambda body: Reply(text="x", delay=0.1))
    talks = [[{"role": "user", "content": "q"}]] * 9
    results = chat_many(_config(server.url, concurrency=3), talks)
    assert all(isinstance(r, ChatResult) for r in results)
    assert len(server.received()) == 9
    assert server.most_in_flight == 3


def test_the_key_is_read_from_the_named_setting(settings: Any) -> None:
    settings.ARENA_TEST_ENDPOINT_KEY = "sk-local"
    endpoint = Endpoint(name="e", base_url="http://x/v1", model="m", api_key_setting="")
    assert endpoint_config(endpoint).api_key == "not-needed"
    endpoint.api_key_setting = "ARENA_TEST_ENDPOINT_KEY"
    assert endpoint_config(endpoint).api_key == "sk-local"
    endpoint.api_key_setting = "ARENA_NO_SUCH_KEY_SETTING"
    with pytest.raises(EndpointKeyMissing):
        endpoint_config(endpoint)


def test_unknown_generation_parameters_are_refused() -> None:
    endpoint = Endpoint(name="e", base_url="http://x/v1", model="m", params={"temprature": 1})
    with pytest.raises(EndpointError, match="temprature"):
        endpoint_config(endpoint)


@pytest.mark.django_db
def test_the_admin_refuses_a_pasted_key_and_unknown_parameters(admin_client: Any) -> None:
    form = {
        "name": "hosted",
        "base_url": "ftp://vllm/v1",
        "model": "m",
        "api_key_setting": "sk-live-1234",
        "params": '{"temprature": 0}',
        "concurrency": "4",
        "timeout_seconds": "60",
    }
    response = admin_client.post("/admin/arena/endpoint/add/", form)
    assert response.status_code == 200  # the form again, with its errors
    page = response.content.decode()
    assert "never the key itself" in page
    assert "An http:// or https:// URL" in page
    assert "Unknown parameter(s): temprature" in page
    assert not Endpoint.objects.exists()
    form |= {
        "base_url": "http://vllm:8000/v1",  # a compose service's name: no dot, still a host
        "api_key_setting": "OPENAI_API_KEY",
        "params": '{"temperature": 0}',
    }
    assert admin_client.post("/admin/arena/endpoint/add/", form).status_code == 302
    assert Endpoint.objects.get().api_key_setting == "OPENAI_API_KEY"


@pytest.mark.django_db
def test_a_judge_template_must_use_the_three_fields(admin_client: Any) -> None:
    form = {"name": "mine", "system_prompt": "Judge.", "scale": "three"}
    bad = admin_client.post("/admin/arena/judgetemplate/add/", form | {"user_template": "{q"})
    assert "Not a valid template" in bad.content.decode()
    bad = admin_client.post("/admin/arena/judgetemplate/add/", form | {"user_template": "{q}"})
    assert "Use exactly the fields" in bad.content.decode()
    good = "{question} / {answer_a} / {answer_b}"
    assert (
        admin_client.post(
            "/admin/arena/judgetemplate/add/", form | {"user_template": good}
        ).status_code
        == 302
    )
