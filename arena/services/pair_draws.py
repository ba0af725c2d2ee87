"""Drawing the next pairs and prompts: the arena's pairing policy at serving time.

The pairs considered are those of active competitors that answered a common prompt (an
eligibility matrix, built once per request). ``fewest-votes`` draws among the least-voted
pairs; the adaptive policies come from the provider ``ratings`` registers in ``arena.pairing``
and are renormalised over the eligible pairs. Every draw carries the probability its pair was
drawn with, which boards may undo by weighting the vote ``1/p``.
"""

from __future__ import annotations

import random
from typing import NamedTuple

import numpy as np

from arena import pairing, selectors
from arena.exceptions import NoBattleAvailable
from arena.models import Arena, PairingPolicy
from arena.services.completion_distances import completion_distances_ensure


class Draw(NamedTuple):
    """A drawn pair, A/B order not yet decided: its prompt and the pair's probability."""

    first: int
    second: int
    prompt_id: int
    probability: float


class PairPool:
    """The competitors that may be drawn and the pairs of them that share a prompt."""

    def __init__(self, answered: dict[int, dict[int, int]]) -> None:
        self.answered = answered
        self.ids = sorted(answered)
        prompts = sorted({p for answers in answered.values() for p in answers})
        column = {p: k for k, p in enumerate(prompts)}
        has = np.zeros((len(self.ids), len(prompts)), dtype=np.float32)
        for row, competitor in enumerate(self.ids):
            has[row, [column[p] for p in answered[competitor]]] = 1.0
        shared = np.triu(has @ has.T > 0, k=1)
        self.first, self.second = np.nonzero(shared)

    def __len__(self) -> int:
        return int(self.first.size)

    def pair(self, k: int) -> tuple[int, int]:
        return self.ids[int(self.first[k])], self.ids[int(self.second[k])]

    def votes(self, counts: dict[tuple[int, int], int]) -> np.ndarray:
        """Votes so far on each eligible pair."""
        position = {c: k for k, c in enumerate(self.ids)}
        matrix = np.zeros((len(self.ids), len(self.ids)))
        for (a, b), n in counts.items():
            if a in position and b in position:
                matrix[position[a], position[b]] = n
        return matrix[self.first, self.second]

    def shared_prompts(self, first: int, second: int) -> list[int]:
        return sorted(self.answered[first].keys() & self.answered[second].keys())


def pair_choose(
    answered: dict[int, dict[int, int]],
    vote_counts: dict[tuple[int, int], int],
    rng: random.Random,
) -> Draw:
    """Choose ``(competitor, competitor, prompt)`` for the next battle by fewest votes.

    Among the pairs of competitors that answered at least one common prompt, the pairs with the
    fewest votes so far are the candidates; one of them is drawn at random, then one of the
    prompts both answered. Every pair thus catches up with the others before any gets more.
    """
    pool = PairPool(answered)
    return _fewest(pool, pool.votes(vote_counts), rng)


def _fewest(pool: PairPool, votes: np.ndarray, rng: random.Random) -> Draw:
    if not len(pool):
        raise NoBattleAvailable
    best = np.flatnonzero(votes == votes.min())
    k = int(best[rng.randrange(best.size)])
    votes[k] += 1  # the next draw of this request counts it
    return _draw(pool, k, 1.0 / best.size, rng)


def _weighted(pool: PairPool, weights: np.ndarray, rng: random.Random) -> Draw:
    """A pair drawn in proportion to ``weights`` (one per eligible pair); its share stored."""
    cumulative = np.cumsum(weights)
    if not len(pool) or cumulative[-1] <= 0:
        raise NoBattleAvailable
    k = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
    k = min(k, len(pool) - 1)
    return _draw(pool, k, float(weights[k] / cumulative[-1]), rng)


def _draw(pool: PairPool, k: int, probability: float, rng: random.Random) -> Draw:
    first, second = pool.pair(k)
    return Draw(first, second, rng.choice(pool.shared_prompts(first, second)), probability)


def _policy_weights(
    arena: Arena, policy: str, pool: PairPool, counts: dict[tuple[int, int], int]
) -> np.ndarray | None:
    """The policy's probability of each eligible pair (not renormalised); None: fewest votes."""
    if policy == PairingPolicy.FEWEST_VOTES:
        return None
    matrix = pairing.pair_probabilities(arena, policy, pool.ids, counts)
    if matrix is None:
        return None
    return np.asarray(matrix)[pool.first, pool.second]


def pairs_draw(
    arena: Arena,
    policy: str,
    answered: dict[int, dict[int, int]],
    rng: random.Random,
    count: int,
) -> list[Draw]:
    """Up to ``count`` draws by ``policy``, A/B positions shuffled.

    By fewest votes, each draw counts as a vote for its pair before the next, so one request
    spreads over the least-voted pairs. An adaptive policy's probabilities are computed once
    per request from the newest rating and every draw is independent, so each stored
    probability is exact.
    """
    pool = PairPool(answered)
    counts = selectors.pair_vote_counts(arena)
    weights = _policy_weights(arena, policy, pool, counts)
    if weights is None:
        votes = pool.votes(counts)

        def draw_one() -> Draw:
            return _fewest(pool, votes, rng)
    else:
        policy_weights = weights

        def draw_one() -> Draw:
            return _weighted(pool, policy_weights, rng)

    draws = []
    for _ in range(count):
        try:
            draw = draw_one()
        except NoBattleAvailable:
            break
        if rng.getrandbits(1):
            draw = draw._replace(first=draw.second, second=draw.first)
        draws.append(draw)
    if arena.prompt_priority and draws:
        draws = _prompts_prioritise(arena, pool, draws, rng)
    return draws


def next_pair_distribution(
    arena: Arena, policy: str | None = None
) -> tuple[dict[tuple[int, int], float], dict[tuple[int, int], int]]:
    """The probability of each eligible pair at the next draw, and the votes per pair so far.

    What the operator's pairing page shows; the same rules as :func:`pairs_draw`.
    """
    pool = PairPool(selectors.completions_for_pairing(arena))
    counts = selectors.pair_vote_counts(arena)
    weights = _policy_weights(arena, policy or arena.pairing_policy, pool, counts)
    if weights is None:
        votes = pool.votes(counts)
        weights = (votes == votes.min()).astype(np.float64) if len(pool) else votes
    total = float(weights.sum())
    if total <= 0:
        return {}, counts
    return {pool.pair(k): float(w / total) for k, w in enumerate(weights)}, counts


def _prompts_prioritise(
    arena: Arena, pool: PairPool, draws: list[Draw], rng: random.Random
) -> list[Draw]:
    """Each draw's prompt chosen again, preferring the prompts where the pair's answers differ
    most and voters tie least (``pairing.prompt_probabilities``), a share kept at random."""
    answered = pool.answered
    shared = {draw: pool.shared_prompts(draw.first, draw.second) for draw in draws}

    def answers(draw: Draw, prompt: int) -> tuple[int, int]:
        x, y = answered[draw.first][prompt], answered[draw.second][prompt]
        return (x, y) if x < y else (y, x)

    distances = completion_distances_ensure(
        {answers(draw, p) for draw, prompts in shared.items() for p in prompts}
    )
    counts = selectors.prompt_outcome_counts(arena, {p for ps in shared.values() for p in ps})
    out = []
    for draw in draws:
        prompts = shared[draw]
        weights = pairing.prompt_probabilities(
            [distances.get(answers(draw, p), 0.0) for p in prompts],
            [counts.get(p, (0, 0))[0] for p in prompts],
            [counts.get(p, (0, 0))[1] for p in prompts],
        )
        if weights is None:
            out.append(draw)
        else:
            out.append(draw._replace(prompt_id=rng.choices(prompts, weights=weights)[0]))
    return out
