"""A believable demo arena: competitors with different strengths per category, prompts,
answers in varied Markdown styles, and votes simulated from a Bradley–Terry ground truth."""

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
    Competitor,
    Completion,
    Outcome,
    Prompt,
    PromptSet,
    Vote,
    VoterGroup,
    VoteTag,
    content_hash,
)
from arena.services.identity import completions_identity_scan

#: Below this strength a competitor's answers may both be judged bad.
WEAK = 1000

CATEGORIES = ("coding", "math", "writing", "reasoning", "knowledge", "multilingual")

# name, organisation, overall strength (Elo-like), per-category bonus, verbosity (0..1)
COMPETITORS: tuple[tuple[str, str, float, dict[str, float], float], ...] = (
    ("Aurora-70B", "Northwind Labs", 1180, {"reasoning": 60, "math": 40}, 0.7),
    ("Basalt-8B", "Northwind Labs", 960, {"coding": 30}, 0.3),
    ("Cirrus-Large", "Skyline AI", 1150, {"writing": 80, "multilingual": 50}, 0.9),
    ("Cirrus-Mini", "Skyline AI", 1010, {"writing": 40}, 0.6),
    ("Delta-Coder-33B", "Riverbank", 1090, {"coding": 160, "math": 40, "writing": -80}, 0.5),
    ("Ember-13B", "Open Hearth", 940, {"knowledge": 30}, 0.4),
    ("Fjord-405B", "Polar Research", 1210, {"knowledge": 70, "multilingual": 30}, 0.8),
    ("Granite-Chat", "Quarry Systems", 1040, {"reasoning": 20}, 0.5),
    ("Helix-Math-7B", "Spiral Inc.", 990, {"math": 190, "writing": -100}, 0.2),
    ("Iris-Vision", "Spectrum", 1060, {"multilingual": 90}, 0.6),
    ("Juniper-3B", "Greenhouse", 880, {}, 0.2),
    ("Kestrel-Pro", "Falconry AI", 1130, {"coding": 50, "reasoning": 50}, 0.7),
)

SUBJECTS = {
    "coding": [
        "a function that merges two sorted lists",
        "a thread-safe LRU cache",
        "a SQL query for the top 3 customers per region",
        "a regex for ISO dates",
        "a binary search over a rotated array",
        "a CLI that counts words in files",
        "unit tests for a date parser",
        "a debounce helper in JavaScript",
    ],
    "math": [
        "the sum of the first n odd numbers",
        "the derivative of x^x",
        "the probability of two sixes in three dice rolls",
        "why sqrt(2) is irrational",
        "the eigenvalues of a 2x2 rotation matrix",
        "the expected number of coin flips to get two heads in a row",
        "the integral of ln(x)",
        "the number of ways to tile a 2xn board",
    ],
    "writing": [
        "a cover letter for a junior data analyst",
        "a haiku about autumn rain",
        "a product description for a steel water bottle",
        "a wedding toast for a sister",
        "a short story opening set on a night train",
        "an apology email for a late delivery",
        "a limerick about a forgetful robot",
        "a persuasive op-ed on bike lanes",
    ],
    "reasoning": [
        "which of three boxes holds the prize given two false labels",
        "how many handshakes happen among 10 people",
        "the next number in 2, 6, 12, 20",
        "whether a barber who shaves all who do not shave themselves exists",
        "how to measure 4 litres with 3- and 5-litre jugs",
        "who owns the fish in a five-house puzzle",
        "the fastest way to cross a bridge with one torch",
        "the odd one out among a cube, a sphere, a square and a cone",
    ],
    "knowledge": [
        "the causes of the French Revolution",
        "how vaccines train the immune system",
        "the difference between weather and climate",
        "how a transistor works",
        "the history of the printing press",
        "why the sky is blue",
        "the main ideas of Keynesian economics",
        "how photosynthesis stores energy",
    ],
    "multilingual": [
        "'good morning' in five languages",
        "a German idiom and its meaning",
        "a French sentence with the subjunctive",
        "Japanese counters for flat objects",
        "the Spanish difference between ser and estar",
        "a Korean honorific greeting",
        "Italian false friends for English speakers",
        "a Portuguese tongue twister",
    ],
}
VERBS = [
    "Explain",
    "Write",
    "Describe",
    "Show step by step",
    "Give a concise answer on",
    "Help me with",
    "I need",
    "Walk me through",
]
AUDIENCES = [
    "",
    " for a beginner",
    " for an expert",
    " in under 100 words",
    " with an example",
    " as if to a child",
    " with pros and cons",
    " and cite common pitfalls",
]


@dataclass
class DemoReport:
    competitors: int
    prompts: int
    completions: int
    votes: int
    arenas: int

    def summary(self) -> str:
        return (
            f"seeded {self.arenas} arenas, {self.competitors} competitors, {self.prompts} "
            f"prompts, {self.completions} completions and {self.votes} votes"
        )


def _topic(prompt_text: str) -> str:
    """What a demo prompt asks about, without its verb, audience and number."""
    text = prompt_text.rsplit(". (", 1)[0]
    for verb in VERBS:
        text = text.removeprefix(verb + " ")
    for audience in AUDIENCES:
        if audience:
            text = text.removesuffix(audience)
    return text


def _answer(
    rng: random.Random, *, category: str, subject: str, verbosity: float, quality: float
) -> str:
    """An answer whose Markdown style follows the competitor's verbosity and quality.

    It never names its author: a name in an answer would unmask the battle.
    """
    parts = []
    if rng.random() < verbosity:
        parts.append(f"## {subject[0].upper()}{subject[1:]}\n")
    parts.append(
        ("Here is a careful answer." if quality > 0 else "Here is an answer.")
        + f" It covers {subject}."
    )
    n_points = 1 + int(verbosity * 5 * rng.random()) + (quality > 0)
    for i in range(n_points):
        point = f"point {i + 1} about {subject}"
        parts.append(
            f"- **{point.capitalize()}**: detail {rng.randint(1, 99)}."
            if rng.random() < verbosity
            else f"- {point}."
        )
    if category == "coding":
        parts.append(
            "```python\ndef solve(data):\n    # a sketch of the approach\n"
            f"    return sorted(data)[:{rng.randint(1, 9)}]\n```"
        )
    if category == "math":
        parts.append(
            f"The result is **{rng.randint(2, 500)}**."
            if quality > 0
            else f"I think the result is {rng.randint(2, 500)}."
        )
    if rng.random() < verbosity / 2:
        parts.append("In summary, the key ideas above answer the question.")
    return "\n\n".join(parts)


def _draw_outcome(rng: random.Random, gap: float, both_weak: bool) -> Outcome:
    p_a = 1 / (1 + 10 ** (-gap / 400))
    tie = 0.22 * math.exp(-abs(gap) / 300)
    u = rng.random()
    if u < tie:
        return Outcome.BOTH_BAD if both_weak and rng.getrandbits(1) else Outcome.TIE
    return Outcome.A if rng.random() < p_a else Outcome.B


def _make_prompts(
    rng: random.Random, n: int, categories: tuple[str, ...], label: str
) -> list[Prompt]:
    prompts = []
    for i in range(n):
        category = categories[i % len(categories)]
        subject = rng.choice(SUBJECTS[category])
        text = f"{rng.choice(VERBS)} {subject}{rng.choice(AUDIENCES)}. ({label} {i + 1})"
        prompts.append(
            Prompt(text=text, category=category, language="en", content_hash=content_hash(text))
        )
    return Prompt.objects.bulk_create(prompts)


def _costs_add(completion: Completion, *, strength: float) -> None:
    """Invented costs: stronger demo models spend more energy per token and answer slower."""
    per_token_wh = 0.0004 * (1 + max(strength - 950, 0) / 100)
    completion.output_tokens = completion.n_tokens
    completion.energy_wh = round(per_token_wh * completion.n_tokens, 4)
    completion.latency_ms = int(200 + completion.n_tokens * (8 + max(strength - 950, 0) / 20))


def _make_completions(
    rng: random.Random, prompts: list[Prompt], competitors: list[Competitor]
) -> dict[tuple[int, int], Completion]:
    specs = {spec[0]: spec for spec in COMPETITORS}
    completions: dict[tuple[int, int], Completion] = {}
    for prompt in prompts:
        subject = _topic(prompt.text)
        for competitor in competitors:
            _, _, base, extra, verbosity = specs[competitor.name]
            completion = Completion(
                prompt=prompt,
                competitor=competitor,
                text=_answer(
                    rng,
                    category=prompt.category,
                    subject=subject,
                    verbosity=verbosity,
                    quality=base + extra.get(prompt.category, 0) - 1050,
                ),
            )
            completion.compute_features()
            _costs_add(completion, strength=base)
            completions[(prompt.id, competitor.id)] = completion
    Completion.objects.bulk_create(completions.values())
    completions_identity_scan(completions=Completion.objects.filter(prompt__in=prompts))
    return completions


def _simulate_votes(
    rng: random.Random,
    *,
    arena: Arena,
    prompts: list[Prompt],
    competitors: list[Competitor],
    completions: dict[tuple[int, int], Completion],
    n_votes: int,
) -> int:
    """Crowd votes drawn from the competitors' per-category strengths, in the past month."""
    specs = {spec[0]: spec for spec in COMPETITORS}
    battles, votes = [], []
    start = timezone.now() - timedelta(days=30)
    for i in range(n_votes):
        first, second = rng.sample(competitors, 2)
        prompt = rng.choice(prompts)
        one, two = specs[first.name], specs[second.name]
        gap = one[2] + one[3].get(prompt.category, 0) - two[2] - two[3].get(prompt.category, 0)
        # Voters favour longer answers a little, as real crowds do: style control has work to do.
        gap += 15 * (
            completions[(prompt.id, first.id)].n_tokens
            > completions[(prompt.id, second.id)].n_tokens
        )
        when = start + timedelta(seconds=i * 30 * 86400 / max(n_votes, 1))
        voter = f"demo-{arena.slug}-voter-{rng.randint(1, 150)}"
        battles.append(
            Battle(
                arena=arena,
                public_id=f"demo{rng.getrandbits(96):024x}",
                prompt=prompt,
                competitor_a=first,
                competitor_b=second,
                completion_a=completions[(prompt.id, first.id)],
                completion_b=completions[(prompt.id, second.id)],
                origin=Battle.Origin.CROWD,
                session_key=voter,
                created_at=when,
                expires_at=when + timedelta(minutes=10),
            )
        )
        both_weak = one[2] < WEAK and two[2] < WEAK
        votes.append(
            Vote(
                outcome=_draw_outcome(rng, gap, both_weak),
                source=Vote.Source.CROWD,
                session_key=voter,
                external_voter=voter,
                created_at=when + timedelta(seconds=40),
            )
        )
    Battle.objects.bulk_create(battles)
    for battle, vote in zip(battles, votes, strict=True):
        vote.battle = battle
    Vote.objects.bulk_create(votes)
    _simulate_feedback(rng, arena=arena, votes=votes)
    return len(votes)


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


#: The coding arena's pool: a subset that overlaps the main arena's.
CODE_ARENA_COMPETITORS = (
    "Aurora-70B",
    "Basalt-8B",
    "Delta-Coder-33B",
    "Fjord-405B",
    "Helix-Math-7B",
    "Juniper-3B",
    "Kestrel-Pro",
)


@transaction.atomic
def demo_seed(*, seed: int = 0, n_prompts: int = 240, n_votes: int = 3000) -> DemoReport:
    """Fill an empty database with the demo; the same seed gives the same content.

    Three arenas: "main" (the default: every competitor, general prompts in six categories),
    "code" (a public coding arena with an overlapping pool and its own prompt set, about 40% of
    the main arena's votes) and "expert-panel" (private, for the "experts" voter group).
    """
    rng = random.Random(seed)  # noqa: S311 - a reproducible simulation, not a secret
    competitors = Competitor.objects.bulk_create(
        [
            Competitor(name=name, organisation=org, description=f"Demo model by {org}.")
            for name, org, *_ in COMPETITORS
        ]
    )
    main = Arena.objects.create(
        slug="main",
        name="Main arena",
        is_default=True,
        description="General-purpose prompts in six categories; every competitor takes part.",
        informed_share=0.2,  # a fifth of crowd battles show each answer's cost
    )
    general = PromptSet.objects.create(name="general", version=1)
    prompts = _make_prompts(rng, n_prompts, CATEGORIES, "demo prompt")
    general.prompts.set(prompts)
    main.prompt_sets.add(general)
    main.competitors.set(competitors)
    completions = _make_completions(rng, prompts, competitors)
    votes = _simulate_votes(
        rng,
        arena=main,
        prompts=prompts,
        competitors=competitors,
        completions=completions,
        n_votes=n_votes,
    )

    code = Arena.objects.create(
        slug="code",
        name="Coding arena",
        description="Programming tasks only, judged by people who write code.",
        feedback_tags=[
            "correct",
            "runs",
            "idiomatic",
            "well explained",
            "incorrect",
            "does not run",
            "ignored instructions",
            "unsafe",
        ],
    )
    coders = [c for c in competitors if c.name in CODE_ARENA_COMPETITORS]
    challenges = PromptSet.objects.create(name="code-challenges", version=1)
    code_prompts = _make_prompts(rng, max(n_prompts // 4, 1), ("coding",), "code challenge")
    challenges.prompts.set(code_prompts)
    code.prompt_sets.add(challenges)
    code.competitors.set(coders)
    code_completions = _make_completions(rng, code_prompts, coders)
    votes += _simulate_votes(
        rng,
        arena=code,
        prompts=code_prompts,
        competitors=coders,
        completions=code_completions,
        n_votes=(2 * n_votes) // 5,
    )

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
    panel.prompt_sets.add(general)
    panel.competitors.set(competitors)
    return DemoReport(
        competitors=len(competitors),
        prompts=len(prompts) + len(code_prompts),
        completions=len(completions) + len(code_completions),
        votes=votes,
        arenas=3,
    )
