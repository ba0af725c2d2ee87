"""Shared fixtures: personas, factories and clients. Database tests run on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from arena.models import (
    Arena,
    Battle,
    Competitor,
    Completion,
    Judge,
    Prompt,
    PromptSet,
    Vote,
    VoterGroup,
    VoteTag,
)
from arena.voters import Voter


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest files first, then the other end-to-end and slow ones, then the rest; each
    file's tests kept together in their order.

    ``make test`` hands whole files to two processes (pytest-xdist, ``--dist loadfile
    --no-loadscope-reorder``) in this order, one at a time as each is done: the long files
    start first and the short ones fill in at the end, so both processes finish together."""

    def rank(item: pytest.Item) -> int:
        if item.get_closest_marker("longest"):
            return 0
        return 1 if item.get_closest_marker("e2e") or item.get_closest_marker("slow") else 2

    file_rank: dict[Any, int] = {}
    for item in items:
        file_rank[item.path] = min(file_rank.get(item.path, 2), rank(item))
    items.sort(key=lambda item: file_rank[item.path])


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """No persistent connections in tests: server threads must not outlive their requests.

    Kept on top of pytest-django's own (a database per xdist process: test_arena_gw0, …)."""
    from django.conf import settings

    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


@pytest.fixture(scope="session", autouse=True)
def _own_channel_prefix() -> None:
    """Groups of this test run stay apart from any other run sharing the Redis server."""
    from channels.layers import channel_layers
    from django.conf import settings

    config = settings.CHANNEL_LAYERS["default"].get("CONFIG")
    if config is not None:
        config["prefix"] = f"test{os.getpid()}"
    channel_layers.backends = {}


@pytest.fixture(autouse=True)
def _database_is_postgresql(request: pytest.FixtureRequest) -> None:
    """The suite's promise is PostgreSQL; refuse to pass quietly on another database."""
    if request.node.get_closest_marker("django_db") and connection.vendor != "postgresql":
        pytest.fail(
            f"database tests need PostgreSQL, got {connection.vendor}: run `make test` or set "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/arena"
        )


@pytest.fixture(autouse=True)
def _no_judge_twins(settings: Any) -> None:
    """Swapped twins are drawn at random: off unless a test turns them on with a seeded rng."""
    settings.ARENA_JUDGE_TWIN_SHARE = 0.0


@pytest.fixture(autouse=True)
def _private_cache(settings: Any) -> None:
    """Rate-limit counters in this process's memory, fresh for each test, never a shared Redis."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}
    }
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _private_rate_limits(settings: Any) -> None:
    """Rate-limit counters in this process's memory, fresh for each test (a test of the Redis
    counters points ARENA_RATE_LIMIT_STORAGE at a Redis of its own)."""
    from arena.ratelimit import limiter

    settings.ARENA_RATE_LIMIT_STORAGE = "memory://"
    limiter().storage.reset()


@pytest.fixture
def make_competitors(db: None) -> Callable[..., list[Competitor]]:
    def make(n: int, *, prefix: str = "Model") -> list[Competitor]:
        return [
            Competitor.objects.create(name=f"{prefix} {i}", organisation=f"Org {i % 3}")
            for i in range(n)
        ]

    return make


@pytest.fixture
def make_prompt(db: None) -> Callable[..., Prompt]:
    counter = iter(range(10**6))

    def make(text: str | None = None, *, category: str = "general") -> Prompt:
        return Prompt.objects.create(
            text=text or f"Prompt number {next(counter)}?", category=category, language="en"
        )

    return make


@pytest.fixture
def make_arena(db: None) -> Callable[..., Arena]:
    """An arena over the given competitors and prompts (its own prompt set)."""

    def make(
        slug: str,
        *,
        competitors: list[Competitor] = (),  # type: ignore[assignment]
        prompts: list[Prompt] = (),  # type: ignore[assignment]
        **fields: Any,
    ) -> Arena:
        arena = Arena.objects.create(slug=slug, name=fields.pop("name", slug.title()), **fields)
        prompt_set = PromptSet.objects.create(name=f"{slug}-prompts")
        prompt_set.prompts.set(prompts)
        arena.prompt_sets.add(prompt_set)
        arena.competitors.set(competitors)
        return arena

    return make


def answer_all(competitors: list[Competitor], prompts: list[Prompt]) -> None:
    for prompt in prompts:
        for competitor in competitors:
            Completion.objects.create(
                prompt=prompt,
                competitor=competitor,
                # Anonymous: an answer naming its author would be kept out of battles.
                text=f"**Answer {competitor.pk}** to _{prompt.text}_",
            )


@pytest.fixture
def arena_setup(make_competitors: Any, make_prompt: Any, make_arena: Any) -> dict[str, Any]:
    """The default arena: three competitors that answered two prompts each."""
    competitors = make_competitors(3)
    prompts = [make_prompt(), make_prompt()]
    answer_all(competitors, prompts)
    arena = make_arena("main", competitors=competitors, prompts=prompts, is_default=True)
    return {"competitors": competitors, "prompts": prompts, "arena": arena}


@pytest.fixture
def experts(db: None) -> VoterGroup:
    return VoterGroup.objects.create(name="Experts", slug="experts")


@pytest.fixture
def make_battle(db: None) -> Callable[..., Battle]:
    def make(
        *,
        voter: Voter,
        prompt: Prompt | None = None,
        a: Competitor | None = None,
        b: Competitor | None = None,
        expires_in: timedelta = timedelta(hours=1),
        arena: Arena | None = None,
    ) -> Battle:
        completions = Completion.objects.select_related("competitor", "prompt")
        if prompt is not None:
            completions = completions.filter(prompt=prompt)
        first = completions.filter(competitor=a).first() if a else completions.first()
        assert first is not None
        second = completions.filter(prompt=first.prompt).exclude(competitor=first.competitor)
        second = second.filter(competitor=b) if b else second
        other = second.first()
        assert other is not None
        now = timezone.now()
        return Battle.objects.create(
            arena=arena or Arena.objects.get(is_default=True),
            prompt=first.prompt,
            competitor_a=first.competitor,
            competitor_b=other.competitor,
            completion_a=first,
            completion_b=other,
            origin=Battle.Origin.JUDGE if voter.judge else Battle.Origin.CROWD,
            user=voter.user,
            session_key="" if voter.user else voter.session_key,
            judge=voter.judge,
            created_at=now,
            expires_at=now + expires_in,
        )

    return make


@pytest.fixture
def judge(db: None) -> Judge:
    return Judge.objects.create(name="judge-gpt")


@pytest.fixture
def other_judge(db: None) -> Judge:
    return Judge.objects.create(name="judge-claude")


@pytest.fixture
def crowd_client(db: None) -> Client:
    """A browser with its own session, as an anonymous crowd voter has."""
    return Client()


def planner_rows(model: type[Any]) -> int:
    """The rows PostgreSQL's planner takes the model's table to hold (``pg_class.reltuples``,
    set by ``ANALYZE``; -1 for a table never analysed)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [model._meta.db_table],
        )
        return int(cursor.fetchone()[0])


def db_state() -> dict[str, Any]:
    """Everything a refused request must leave as it was."""
    from arena.models import IdempotencyRecord

    return {
        "idempotency": list(IdempotencyRecord.objects.order_by("id").values()),
        "votes": list(Vote.objects.order_by("id").values()),
        "battles": list(Battle.objects.order_by("id").values()),
        "competitors": Competitor.objects.count(),
        "prompts": Prompt.objects.count(),
        "completions": Completion.objects.count(),
        "tags": list(VoteTag.objects.order_by("id").values()),
    }


@pytest.fixture
def endpoint_server() -> Any:
    """Start a local OpenAI-compatible server with a script: ``endpoint_server(script)``."""
    from tests.endpoint_server import EndpointServer

    started: list[EndpointServer] = []

    def start(script: Any) -> EndpointServer:
        server = EndpointServer(script)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
