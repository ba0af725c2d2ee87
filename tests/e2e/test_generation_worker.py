"""A competitor with an endpoint joins an arena of 80 prompts; a real worker generates its
answers: one forced failure is retried, and a worker killed mid-batch is replaced by one that
resumes without duplicates.

The join happens in a separate process with the stack's environment (as an operator's shell or
the admin would do it), so the job reaches the stack's own Redis through the real path: the
m2m signal, the service, the on-commit enqueue.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Count

from arena.models import Arena, Competitor, Completion, Endpoint, GenerationJob, Prompt, PromptSet
from tests.e2e.stack import BIN, ROOT, Stack
from tests.endpoint_server import Reply, last_user_message

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

N_PROMPTS = 80
BATCH = 8


def _script() -> Any:
    failing = {5}  # the first call for question 5 fails with a 500

    def script(body: dict[str, Any]) -> Reply:
        number = int(re.search(r"question (\d+)", last_user_message(body))[1])  # type: ignore[index]
        if number in failing:
            failing.discard(number)
            return Reply(status=500)
        return Reply(text=f"The answer to question {number} is {number * 2}.", delay=0.15)

    return script


def _wait(condition: Any, timeout: float, stack: Stack, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            print("worker:", stack.log("worker"), "\nworker2:", stack.log("worker2"))
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_a_killed_worker_resumes_the_generation_without_duplicates(
    endpoint_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = endpoint_server(_script())
    arena = Arena.objects.create(slug="served", name="Served prompts")
    prompt_set = PromptSet.objects.create(name="served")
    prompt_set.prompts.add(
        *Prompt.objects.bulk_create(
            [Prompt(text=f"Answer question {i}.", content_hash=f"q{i}") for i in range(N_PROMPTS)]
        )
    )
    arena.prompt_sets.add(prompt_set)
    endpoint = Endpoint.objects.create(
        name="local", base_url=server.url, model="gen-1", concurrency=2
    )
    competitor = Competitor.objects.create(name="GenModel", endpoint=endpoint)
    monkeypatch.setenv("ARENA_GENERATION_BATCH", str(BATCH))
    monkeypatch.setenv("ARENA_GENERATION_RETRY_SECONDS", "0.5")
    stack = Stack(tmp=tmp_path)
    try:
        stack.start_redis()
        stack.start_worker()
        join = (
            "from arena.models import Arena; "
            f"Arena.objects.get(slug='served').competitors.add({competitor.pk})"
        )
        subprocess.run(
            [str(BIN / "python"), "manage.py", "shell", "-c", join],
            cwd=ROOT,
            env=stack.env,
            check=True,
            capture_output=True,
        )
        answers = Completion.objects.filter(competitor=competitor)
        # Kill the worker in the middle of a batch: calls in flight, their answers not stored.
        _wait(
            lambda: answers.count() >= 3 * BATCH and len(server.received()) > answers.count() + 1,
            120,
            stack,
            "a batch in flight",
        )
        stack.kill("worker")
        stored_at_kill, asked_at_kill = answers.count(), len(server.received())
        assert stored_at_kill < N_PROMPTS
        stack.start_worker("worker2")
        _wait(lambda: answers.count() == N_PROMPTS, 180, stack, "all 80 answers")
        _wait(
            lambda: GenerationJob.objects.get(competitor=competitor).status == "done",
            30,
            stack,
            "the job to finish",
        )
    finally:
        stack.stop_all()
    job = GenerationJob.objects.get(competitor=competitor)
    assert (job.n_done, job.n_prompts) == (N_PROMPTS, N_PROMPTS)
    assert job.n_failures >= 1  # the forced 500
    assert job.retries >= 1
    per_prompt = answers.values("prompt").annotate(n=Count("id"))
    assert {row["n"] for row in per_prompt} == {1}
    assert answers.filter(origin="generated").count() == N_PROMPTS
    assert set(answers.values_list("text", flat=True)) == {
        f"The answer to question {i} is {i * 2}." for i in range(N_PROMPTS)
    }
    # Resumed, not restarted: at most the killed batch is asked again.
    asked = len(server.received())
    assert asked <= N_PROMPTS + 1 + (asked_at_kill - stored_at_kill) + BATCH
    print(f"asked {asked} times for {N_PROMPTS} answers; killed at {stored_at_kill} stored")
