"""Generated answers: the service called as the task calls it, against the local server."""

from __future__ import annotations

import re
from typing import Any

import pytest

from arena.models import Arena, Competitor, Completion, Endpoint, GenerationJob, Prompt, PromptSet
from arena.services.generation import answers_generate, generation_retry_delay
from arena.services.submissions import completions_store
from tests.endpoint_server import Reply, last_user_message

pytestmark = pytest.mark.django_db


def answer_script(fail_once: set[int] | None = None) -> Any:
    """Answer ``question N`` with a text naming N; fail the first call for each N listed."""
    failing = set(fail_once or ())

    def script(body: dict[str, Any]) -> Reply:
        number = int(re.search(r"question (\d+)", last_user_message(body))[1])  # type: ignore[index]
        if number in failing:
            failing.discard(number)
            return Reply(status=500)
        if number == 3:
            return Reply(text="As GenModel, trained by Acme, I say: **three**.")
        return Reply(text=f"# Answer\n\n- The answer to question {number} is {number * 2}.")

    return script


def arena_with_prompts(n: int, slug: str = "gen") -> Arena:
    arena = Arena.objects.create(slug=slug, name=slug)
    prompt_set = PromptSet.objects.create(name=slug)
    prompts = Prompt.objects.bulk_create(
        [Prompt(text=f"Please answer question {i}.", content_hash=f"{slug}{i}") for i in range(n)]
    )
    prompt_set.prompts.add(*prompts)
    arena.prompt_sets.add(prompt_set)
    return arena


def competitor_with_endpoint(url: str, name: str = "GenModel") -> Competitor:
    endpoint = Endpoint.objects.create(name=f"{name} server", base_url=url, model="gen-1")
    return Competitor.objects.create(name=name, organisation="Acme", endpoint=endpoint)


def test_joining_an_arena_queues_a_job_for_a_competitor_with_an_endpoint(
    django_capture_on_commit_callbacks: Any,
) -> None:
    arena = arena_with_prompts(3)
    plain = Competitor.objects.create(name="Uploaded")
    served = competitor_with_endpoint("http://127.0.0.1:9/v1")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        arena.competitors.add(plain, served)
    assert list(GenerationJob.objects.values_list("competitor__name", "status")) == [
        ("GenModel", "queued")
    ]
    assert len(callbacks) == 1
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        served.arenas.add(arena_with_prompts(2, slug="other"))  # the reverse side too
    assert GenerationJob.objects.count() == 2
    assert len(callbacks) == 1
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        arena.competitors.remove(served)
        arena.competitors.add(served)  # its job is still queued: no second chain
    assert len(callbacks) == 0


def test_batches_generate_every_missing_answer_once(endpoint_server: Any) -> None:
    server = endpoint_server(answer_script(fail_once={5}))
    arena = arena_with_prompts(10)
    competitor = competitor_with_endpoint(server.url)
    job = GenerationJob.objects.create(arena=arena, competitor=competitor)

    first = answers_generate(job_id=job.pk, batch_size=4)
    assert (first.generated, first.failed, first.remaining) == (4, 0, 6)
    second = answers_generate(job_id=job.pk, batch_size=4)
    assert (second.generated, second.failed, second.remaining) == (3, 1, 3)
    job.refresh_from_db()
    assert job.n_failures == 1
    assert "HTTP 500" in job.last_error
    assert job.status == "running"
    # The retry asks again only for what is missing: the failed prompt, then the rest.
    third = answers_generate(job_id=job.pk, batch_size=4)
    assert (third.generated, third.failed, third.remaining) == (3, 0, 0)
    assert answers_generate(job_id=job.pk, batch_size=4).remaining == 0
    job.refresh_from_db()
    assert (job.status, job.n_done, job.n_prompts) == ("done", 10, 10)
    assert len(server.received()) == 11  # ten answers and the one failure
    texts = dict(Completion.objects.values_list("prompt__text", "text"))
    assert len(texts) == 10
    assert texts["Please answer question 7."].endswith("question 7 is 14.")


def test_generated_answers_take_the_uploads_write_path(endpoint_server: Any) -> None:
    server = endpoint_server(answer_script())
    arena = arena_with_prompts(5)
    job = GenerationJob.objects.create(arena=arena, competitor=competitor_with_endpoint(server.url))
    answers_generate(job_id=job.pk, batch_size=10)
    stored = {c.prompt.text: c for c in Completion.objects.select_related("prompt")}
    plain = stored["Please answer question 1."]
    assert plain.origin == "generated"
    assert (plain.header_count, plain.list_count) == (1, 1)
    assert plain.n_tokens > 0
    assert plain.latency_ms is not None
    assert plain.output_tokens == len(plain.text.split(" "))
    assert plain.identity_leak == ""
    assert stored["Please answer question 3."].identity_leak != ""  # names itself and its maker


def test_storing_a_batch_twice_adds_nothing() -> None:
    arena = arena_with_prompts(2)
    competitor = Competitor.objects.create(name="Twice")
    prompts = list(Prompt.objects.all())

    def batch() -> list[Completion]:
        return [Completion(prompt=p, competitor=competitor, text="same") for p in prompts]

    completions_store(arena=arena, completions=batch(), skip_existing=True)
    completions_store(arena=arena, completions=batch(), skip_existing=True)
    assert Completion.objects.filter(competitor=competitor).count() == 2


def test_retries_back_off_exponentially_up_to_a_cap() -> None:
    delays = [generation_retry_delay(retries=r, base=10.0) for r in range(8)]
    assert delays == [10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 640.0, 900.0]
