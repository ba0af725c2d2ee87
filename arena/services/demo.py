"""The demo: a "Vicuna-80" arena of real prompts, answers and votes (``demo_vicuna``), a smaller
"Simulated crowd" arena whose votes are drawn from a Bradley–Terry ground truth over the same
real answers, and a private expert panel."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from arena.models import (
    Arena,
    Battle,
    Completion,
    Outcome,
    Prompt,
    PromptSet,
    Vote,
    VoterGroup,
    VoteTag,
)
from arena.services.bulk import tables_analyze_after_commit
from arena.services.demo_vicuna import (
    VicunaContent,
    vicuna_content_load,
    vicuna_votes_load,
    vicuna_votes_read,
)
from arena.services.identity import completions_identity_scan, votes_mark_identity_revealed
from arena.services.null_models import null_models_check

#: Below this strength both answers of a battle may be judged bad.
WEAK = 1050

# The simulated arena's ground truth (invented, Elo-like): overall strength and per-category
# bonus of the five Vicuna-80 systems whose answers the demo has.
STRENGTHS: dict[str, tuple[float, dict[str, float]]] = {
    "gpt-4": (1180, {"coding": 60, "math": 60, "fermi": 40}),
    "claude": (1130, {"writing": 50, "roleplay": 40}),
    "gpt-3.5-turbo": (1100, {"coding": 30}),
    "bard": (1040, {"knowledge": 30, "math": -60}),
    "vicuna-13b": (1000, {"roleplay": 30, "math": -80, "coding": -60}),
}


@dataclass
class DemoReport:
    competitors: int
    prompts: int
    completions: int
    votes: int
    arenas: int
    null_models: list[str]

    def summary(self) -> str:
        held = ", ".join(self.null_models)
        return (
            f"seeded {self.arenas} arenas, {self.competitors} competitors, {self.prompts} "
            f"prompts, {self.completions} completions and {self.votes} votes"
            + (f"; null models held back: {held}" if held else "")
        )


def _draw_outcome(rng: random.Random, gap: float, both_weak: bool) -> Outcome:
    p_a = 1 / (1 + 10 ** (-gap / 400))
    tie = 0.22 * math.exp(-abs(gap) / 300)
    u = rng.random()
    if u < tie:
        return Outcome.BOTH_BAD if both_weak and rng.getrandbits(1) else Outcome.TIE
    return Outcome.A if rng.random() < p_a else Outcome.B


def _costs_add(completion: Completion, *, strength: float) -> None:
    """Invented costs (the files have none): stronger systems spend more energy per token and
    answer slower, so that the informed condition has something to show."""
    per_token_wh = 0.0004 * (1 + max(strength - 950, 0) / 100)
    completion.output_tokens = completion.n_tokens
    completion.energy_wh = round(per_token_wh * completion.n_tokens, 4)
    completion.latency_ms = int(200 + completion.n_tokens * (8 + max(strength - 950, 0) / 20))


def _simulate_votes(
    rng: random.Random, *, arena: Arena, content: VicunaContent, n_votes: int
) -> list[Vote]:
    """Crowd votes drawn from ``STRENGTHS`` per category over the real answers, in the past
    month."""
    names = sorted(STRENGTHS)
    questions = [q for q in content.prompts if all((q, n) in content.completions for n in names)]
    battles, votes = [], []
    start = timezone.now() - timedelta(days=30)
    for i in range(n_votes):
        first, second = rng.sample(names, 2)
        question = rng.choice(questions)
        category = content.prompts[question].category
        (base_1, extra_1), (base_2, extra_2) = STRENGTHS[first], STRENGTHS[second]
        gap = base_1 + extra_1.get(category, 0) - base_2 - extra_2.get(category, 0)
        answer_1 = content.completions[(question, first)]
        answer_2 = content.completions[(question, second)]
        # Voters favour longer answers a little, as real crowds do: style control has work to do.
        gap += 15 * (answer_1.n_tokens > answer_2.n_tokens)
        when = start + timedelta(seconds=i * 30 * 86400 / max(n_votes, 1))
        voter = f"demo-{arena.slug}-voter-{rng.randint(1, 150)}"
        battles.append(
            Battle(
                arena=arena,
                public_id=f"demo{rng.getrandbits(96):024x}",
                prompt=content.prompts[question],
                competitor_a=content.competitors[first],
                competitor_b=content.competitors[second],
                completion_a=answer_1,
                completion_b=answer_2,
                origin=Battle.Origin.CROWD,
                session_key=voter,
                created_at=when,
                expires_at=when + timedelta(minutes=10),
            )
        )
        votes.append(
            Vote(
                outcome=_draw_outcome(rng, gap, both_weak=max(base_1, base_2) < WEAK),
                source=Vote.Source.CROWD,
                session_key=voter,
                external_voter=voter,
                created_at=when + timedelta(seconds=40),
            )
        )
    Battle.objects.bulk_create(battles, batch_size=2000)
    for battle, vote in zip(battles, votes, strict=True):
        vote.battle = battle
    Vote.objects.bulk_create(votes, batch_size=2000)
    _simulate_feedback(rng, arena=arena, votes=votes)
    return votes


def _simulate_feedback(rng: random.Random, *, arena: Arena, votes: list[Vote]) -> None:
    """One vote in seven gets tags: the winner's answer a positive tag, the loser's a negative."""
    tags = arena.feedback_tags
    positive, negative = tags[: len(tags) // 2], tags[len(tags) // 2 :]
    chosen, vote_tags = [], []
    for vote in votes:
        if rng.random() >= 1 / 7 or vote.outcome not in (Outcome.A, Outcome.B):
            continue
        winner, loser = ("A", "B") if vote.outcome == Outcome.A else ("B", "A")
        vote.feedback_at = vote.created_at + timedelta(seconds=20)
        chosen.append(vote)
        vote_tags.append(VoteTag(vote=vote, side=winner, tag=rng.choice(positive)))
        vote_tags.append(VoteTag(vote=vote, side=loser, tag=rng.choice(negative)))
    Vote.objects.bulk_update(chosen, ["feedback_at"])
    VoteTag.objects.bulk_create(vote_tags)


def _arenas_create(content: VicunaContent, *, vicuna_votes: bool) -> tuple[Arena, Arena]:
    """The Vicuna-80 arena (the default, unless its votes are left out) and the simulated one,
    both on the Vicuna-80 prompt set, and the private expert panel."""
    vicuna_set = PromptSet.objects.create(
        name="vicuna-80", version=1, description="The 80 Vicuna questions (lm-sys/FastChat)."
    )
    vicuna_set.prompts.set(content.prompts.values())
    answered = [content.competitors[name] for name in sorted(STRENGTHS)]
    vicuna = Arena.objects.create(
        slug="vicuna-80",
        name="Vicuna-80",
        is_default=vicuna_votes,
        description=(
            "The 80 Vicuna questions with real answers, and 15,200 real votes: crowd workers of "
            "the QLoRA and PRD studies, and five LLM reviewers (GPT-4, GPT-3.5, Claude, Bard, "
            "Vicuna-13B) that saw each pair in both orders."
        ),
    )
    vicuna.prompt_sets.add(vicuna_set)
    vicuna.competitors.set(content.competitors.values())
    simulated = Arena.objects.create(
        slug="simulated",
        name="Simulated crowd",
        is_default=not vicuna_votes,
        description=(
            "The same questions and real answers of five systems; the votes are simulated from "
            "an invented ground truth (per-category strengths, ties, a slight length bias). A "
            "fifth of the battles show each answer's (invented) cost."
        ),
        informed_share=0.2,
    )
    simulated.prompt_sets.add(vicuna_set)
    simulated.competitors.set(answered)
    experts = VoterGroup.objects.create(
        name="Experts", slug="experts", description="Invited domain experts."
    )
    panel = Arena.objects.create(
        slug="expert-panel",
        name="Expert panel",
        visibility=Arena.Visibility.PRIVATE,
        voting_rule=Arena.VotingRule.GROUPS,
        daily_vote_cap=200,
        description="Private: only the Experts group sees and votes here.",
    )
    panel.voter_groups.add(experts)
    panel.prompt_sets.add(vicuna_set)
    panel.competitors.set(answered)
    return vicuna, simulated


@transaction.atomic
def demo_seed(*, seed: int = 0, n_votes: int = 2000, vicuna_votes: bool = True) -> DemoReport:
    """Fill an empty database with the demo; the same seed gives the same content.

    Without ``vicuna_votes`` only the simulated arena gets votes (a quick seed for tests and
    benchmarks that bring their own votes); it is then the default arena.
    """
    rng = random.Random(seed)  # noqa: S311 - a reproducible simulation, not a secret
    records = vicuna_votes_read()
    content = vicuna_content_load(records)
    for name, (base, _) in STRENGTHS.items():
        for (_, model), completion in content.completions.items():
            if model == name:
                _costs_add(completion, strength=base)
    Completion.objects.bulk_update(
        content.completions.values(), ["output_tokens", "energy_wh", "latency_ms"], batch_size=1000
    )
    vicuna, simulated = _arenas_create(content, vicuna_votes=vicuna_votes)
    n_real = (
        vicuna_votes_load(arena=vicuna, content=content, votes=records, rng=rng)
        if vicuna_votes
        else 0
    )
    simulated_votes = _simulate_votes(rng, arena=simulated, content=content, n_votes=n_votes)
    completions_identity_scan(completions=Completion.objects.all())
    votes_mark_identity_revealed()
    null_models = null_models_check(competitor_ids=[c.pk for c in content.competitors.values()])
    tables_analyze_after_commit(Battle, Vote, Prompt, Completion)
    return DemoReport(
        competitors=len(content.competitors),
        prompts=len(content.prompts),
        completions=len(content.completions),
        votes=n_real + len(simulated_votes),
        arenas=3,
        null_models=null_models,
    )
