"""The null-model guard: a competitor whose answers ignore the prompt is flagged and held back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arena.models import Arena, Competitor, Vote
from arena.services.battles import battle_create
from arena.services.imports import votes_import
from arena.services.null_models import null_model_clear
from arena.services.votes import vote_record
from arena.voters import Voter
from leaderboards import services
from leaderboards.models import RatingRun
from ratings.core.textsim import mean_pairwise_similarity
from tests.arena.api_helpers import Api, key_for
from tests.conftest import db_state
from tests.ratings.conftest import SHARED_DATA

pytestmark = pytest.mark.django_db

CONSTANT = (
    "As a careful assistant I have considered every aspect of your question. The answer is "
    "thorough, accurate, well structured and complete; it weighs all the evidence and is "
    "clearly the best possible response."
)


def _upload(api: Api, lines: list[dict]):
    body = "\n".join(json.dumps(x) for x in lines)
    return api.client.post(
        "/api/v1/submissions", body, content_type="application/x-ndjson", headers=api.headers()
    )


@pytest.fixture
def submitter(django_user_model) -> Api:
    return Api(key_for(scopes=["submit"], user=django_user_model.objects.create_user("o")))


def test_a_constant_answer_is_flagged_on_upload_and_kept_off_the_boards_until_cleared(
    arena_setup, submitter
):
    prompts = arena_setup["prompts"]
    for k in range(3):  # more prompts, so the constant answers five
        arena_setup["arena"].prompt_sets.first().prompts.create(text=f"Extra prompt {k}?")
    lines = [{"model": "Constant-Bot"}, {"model": "Honest-Bot"}]
    all_prompts = list(arena_setup["arena"].prompt_sets.first().prompts.all())
    for prompt in all_prompts:
        lines.append({"question_id": f"p{prompt.pk}", "prompt": prompt.text})
        lines.append({"model": "Constant-Bot", "question_id": f"p{prompt.pk}", "answer": CONSTANT})
        lines.append(
            {
                "model": "Honest-Bot",
                "question_id": f"p{prompt.pk}",
                "answer": f"About {prompt.text}: here is a specific answer to it alone.",
            }
        )
    response = _upload(submitter, lines)
    assert response.status_code == 201, response.content
    assert response.json()["null_models"] == ["Constant-Bot"]
    constant = Competitor.objects.get(name="Constant-Bot")
    assert constant.null_model_flagged
    assert constant.null_model_score == pytest.approx(1.0)
    assert not Competitor.objects.get(name="Honest-Bot").null_model_flagged
    assert len(prompts) == 2

    arena = arena_setup["arena"]
    voter = Voter(session_key="v")
    for _ in range(40):
        battle = battle_create(arena=arena, voter=voter)
        vote_record(public_id=battle.public_id, voter=voter, outcome=1)
    with_constant = Vote.objects.filter(battle__competitor_a=constant).count()
    with_constant += Vote.objects.filter(battle__competitor_b=constant).count()
    assert with_constant > 0

    def board_names() -> set[str]:
        for run_id in services.leaderboards_check(enqueue=False):
            services.rating_run_execute(run_id=run_id, task_id=f"t{run_id}")
        run = RatingRun.objects.filter(leaderboard__slug="all", method="bt", status="done").latest(
            "id"
        )
        return {row["name"] for row in run.result["competitors"]}, run.result["n_votes"]

    names, n_votes = board_names()
    assert "Constant-Bot" not in names
    assert n_votes == Vote.objects.count() - with_constant
    null_model_clear(competitor=constant)
    names, n_votes = board_names()  # clearing changes the scope: a new run at the same watermark
    assert "Constant-Bot" in names
    assert n_votes == Vote.objects.count()


def test_bad_cost_on_upload_is_refused_and_changes_nothing(arena_setup, submitter):
    before = db_state()
    response = _upload(
        submitter,
        [
            {"question_id": "q1", "prompt": "Hi?"},
            {"model": "m", "question_id": "q1", "answer": "Hello.", "energy_wh": -1},
        ],
    )
    assert response.status_code == 400
    assert "Line 2" in response.json()["message"]
    assert "energy_wh" in response.json()["message"]
    assert db_state() == before


def test_on_import_no_real_llmfao_model_is_flagged_and_a_constant_one_is(tmp_path: Path):
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    shared_data = SHARED_DATA
    votes = [
        json.loads(line) for line in (shared_data / "llmfao" / "votes.jsonl").open(encoding="utf-8")
    ]
    answers = [
        json.loads(line)
        for line in (shared_data / "llmfao" / "answers.jsonl").open(encoding="utf-8")
    ]
    some = votes + [
        {**votes[k], "model_b": "Constant-Bot", "judge": "gpt-4"} for k in range(0, 4000, 50)
    ]
    questions = {a["question_id"] for a in answers}
    answers += [{"model": "Constant-Bot", "question_id": q, "answer": CONSTANT} for q in questions]
    votes_path, answers_path = tmp_path / "votes.jsonl", tmp_path / "answers.jsonl"
    votes_path.write_text("".join(json.dumps(v) + "\n" for v in some), encoding="utf-8")
    answers_path.write_text("".join(json.dumps(a) + "\n" for a in answers), encoding="utf-8")
    report = votes_import(path=votes_path, answers=answers_path)
    assert report.null_models == ["Constant-Bot"]
    assert "held back as null models" in report.summary()
    real = Competitor.objects.exclude(name="Constant-Bot")
    assert real.count() == 70  # every model of the set
    assert not real.filter(null_model_flagged=True).exists()
    highest = max(c.null_model_score or 0 for c in real)
    print(f"highest null-model score of a real LLMFAO model: {highest:.3f} (threshold 0.6)")
    assert highest < 0.45  # Code Llama (34B) often repeats the code of its prompt: 0.42
    assert Arena.objects.count() == 1


def test_similarity_of_answers():
    assert mean_pairwise_similarity(["a b c d", "a b c d", "a b c d"]) == 1.0
    assert mean_pairwise_similarity(["one two three", "four five six"]) == 0.0
    assert mean_pairwise_similarity(["alone"]) is None


def test_answers_that_repeat_their_prompt_are_flagged_and_real_answers_are_not(arena_setup):
    """An echo changes with the prompt, so only its similarity to the prompt can catch it."""
    from arena.models import Completion, Prompt
    from arena.services.null_models import null_models_check

    questions_answers = [
        ("How can I improve my time management skills?", "List the day's tasks at dawn."),
        ("What are the most effective ways to deal with stress?", "Sleep, exercise and talk."),
        ("Can you explain the basics of quantum computing?", "Qubits hold superpositions."),
        ("What are the primary factors that influence consumer behavior?", "Price and habit."),
    ]
    echo, honest = Competitor.objects.create(name="Echo"), Competitor.objects.create(name="Quoter")
    for i, (question, answer) in enumerate(questions_answers):
        prompt = Prompt.objects.create(text=question, content_hash=f"echo{i}")
        Completion.objects.create(prompt=prompt, competitor=echo, text=question)
        # Quotes the question, then answers it briefly: below the threshold, though not by much.
        Completion.objects.create(
            prompt=prompt, competitor=honest, text=f"You asked: {question} {answer}"
        )
    assert null_models_check(competitor_ids=[echo.pk, honest.pk]) == ["Echo"]
    echo.refresh_from_db()
    honest.refresh_from_db()
    assert echo.null_model_score == pytest.approx(1.0)
    assert honest.null_model_score < 0.6
