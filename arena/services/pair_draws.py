"""Drawing the next pairs and prompts: the arena's pairing policy at serving time.

The pairs considered are those of active competitors that answered a common prompt (an
eligibility matrix kept with the cached sheet of :func:`arena.selectors.answers_for_pairing`;
the votes per pair are maintained counts). ``fewest-votes`` draws among the least-voted
pairs (the core's :func:`~ratings.core.pairing.policies.fewest_votes_of`); the adaptive
policies are the core's (:data:`~ratings.core.pairing.policies.POLICY`) on the state the
newest published Bradley–Terry run left (:func:`arena.selectors.pairing_state_for_arena`),
renormalised over the eligible pairs. Every draw carries the probability its pair was drawn
with, which boards may undo by weighting the vote ``1/p``.

For a person (not a judge), the pairs are first narrowed to what keeps their session varied:
prompts they were not shown yet, and pairs whose competitors stay within their share of the
session's battles (the core's ``session_balance``). The policy's probabilities are
renormalised over those pairs, so the stored probability is still the one the pair was drawn
with. When nothing is left (every prompt seen), the narrowing is dropped, not the battle.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from arena import selectors
from arena.exceptions import NoBattleAvailable
from arena.models import Arena, PairingPolicy
from arena.selectors import AnswerSheet, PairVoteCounts, SessionHistory
from arena.services.completion_distances import completion_distances_ensure
from ratings.core.pairing.policies import POLICY, fewest_votes_of, pairs_of, session_balance
from ratings.core.pairing.prompts import prompt_probabilities


class Draw(NamedTuple):
    """A drawn pair, A/B order not yet decided: its prompt and the pair's probability."""

    first: int
    second: int
    prompt_id: int
    probability: float


class PairPool:
    """The competitors that may be drawn and the pairs of them that share a prompt.

    Built from a cached :class:`~arena.selectors.AnswerSheet` without reading the answers
    again; ``excluded`` prompts (a session's) are left out of the shared prompts."""

    def __init__(
        self,
        answers: AnswerSheet | dict[int, dict[int, int]],
        excluded: frozenset[int] = frozenset(),
    ) -> None:
        self.sheet = answers if isinstance(answers, AnswerSheet) else AnswerSheet.of(answers)
        self.answered = self.sheet.answered
        self.ids = self.sheet.ids
        self.excluded = excluded
        shared = np.triu(self.sheet.shared_without(excluded) > 0, k=1)
        self.first, self.second = np.nonzero(shared)

    def __len__(self) -> int:
        return int(self.first.size)

    def pair(self, k: int) -> tuple[int, int]:
        return self.ids[int(self.first[k])], self.ids[int(self.second[k])]

    def votes(self, counts: Mapping[tuple[int, int], int]) -> np.ndarray:
        """Votes so far on each eligible pair (in arrays: no Python step per pair)."""
        if isinstance(counts, PairVoteCounts):
            low, high, n = counts.low, counts.high, counts.n
        else:
            table = np.array([(a, b, v) for (a, b), v in counts.items()], dtype=np.int64)
            low, high, n = table.reshape(-1, 3).T
        ids = np.asarray(self.ids, dtype=np.int64)
        position = np.full(
            int(max(ids.max(initial=0), low.max(initial=0), high.max(initial=0))) + 1, -1
        )
        position[ids] = np.arange(ids.size)
        a, b = position[low], position[high]
        known = (a >= 0) & (b >= 0)
        matrix = np.zeros((ids.size, ids.size))
        matrix[a[known], b[known]] = n[known]
        return matrix[self.first, self.second]

    def shared_prompts(self, first: int, second: int) -> list[int]:
        sets = self.sheet.prompt_sets
        return sorted((sets[first] & sets[second]) - self.excluded)


def _fewest(
    pool: PairPool, votes: np.ndarray, rng: random.Random, allowed: np.ndarray | None = None
) -> Draw:
    """One of the least-voted eligible pairs, each alike; its vote counted for the next draw.

    ``allowed`` narrows the pairs (a session's balance); the least-voted among those."""
    if not len(pool):
        raise NoBattleAvailable
    if allowed is not None and allowed.any():
        weights = np.zeros(len(pool))
        weights[allowed] = fewest_votes_of(votes[allowed])
    else:
        weights = fewest_votes_of(votes)
    best = np.flatnonzero(weights)
    k = int(best[rng.randrange(best.size)])
    votes[k] += 1  # the next draw of this request counts it
    return _draw(pool, k, float(weights[k]), rng)


def _weighted(
    pool: PairPool, weights: np.ndarray, rng: random.Random, allowed: np.ndarray | None = None
) -> Draw:
    """A pair drawn in proportion to ``weights`` (one per eligible pair); its share stored.

    ``allowed`` narrows the pairs (a session's balance) unless it leaves no weight."""
    if allowed is not None and float(weights[allowed].sum()) > 0:
        weights = np.where(allowed, weights, 0.0)
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
    arena: Arena, policy: str, pool: PairPool, counts: Mapping[tuple[int, int], int]
) -> np.ndarray | None:
    """The policy's probability of each eligible pair (not renormalised); None: fewest votes."""
    if policy == PairingPolicy.FEWEST_VOTES:
        return None
    n = len(pool.ids)
    matrix = np.zeros((n, n))
    if n >= 2:  # noqa: PLR2004
        state = selectors.pairing_state_for_arena(arena, pool.ids, counts)
        first, second = pairs_of(n)
        matrix[first, second] = matrix[second, first] = POLICY[policy](state)
    return matrix[pool.first, pool.second]


class Session:
    """One person's session while a request draws: the prompts seen, who appeared how often."""

    def __init__(self, history: SessionHistory) -> None:
        self.prompt_ids = set(history.prompt_ids)
        self.appearances = dict(history.appearances)
        self.n_served = history.n_served

    def allowed(self, pool: PairPool) -> np.ndarray:
        """The pool's pairs that keep every competitor within its share of the session."""
        counts = np.array([self.appearances.get(c, 0) for c in pool.ids], dtype=np.float64)
        return session_balance(pool.first, pool.second, counts, self.n_served)

    def record(self, draw: Draw) -> None:
        self.prompt_ids.add(draw.prompt_id)
        for competitor in (draw.first, draw.second):
            self.appearances[competitor] = self.appearances.get(competitor, 0) + 1
        self.n_served += 1


def pairs_draw(
    arena: Arena,
    policy: str,
    answered: AnswerSheet | dict[int, dict[int, int]],
    rng: random.Random,
    count: int,
    *,
    history: SessionHistory | None = None,
    prompt_priority: bool | None = None,
) -> list[Draw]:
    """Up to ``count`` draws by ``policy``, A/B positions shuffled.

    ``prompt_priority`` overrides the arena's (a live battle's prompt is the voter's own).

    By fewest votes, each draw counts as a vote for its pair before the next, so one request
    spreads over the least-voted pairs. An adaptive policy's probabilities are computed once
    per request from the newest rating and every draw is independent, so each stored
    probability is exact. With a person's ``history``, each draw is narrowed to what keeps the
    session varied (see the module's docstring).
    """
    session = None if history is None else Session(history)
    pool = PairPool(answered)
    if session is not None:
        unseen = PairPool(pool.sheet, frozenset(session.prompt_ids))
        if len(unseen):
            pool = unseen
    counts = selectors.pair_vote_counts(arena)
    weights = _policy_weights(arena, policy, pool, counts)
    votes = pool.votes(counts) if weights is None else None
    draws = []
    for _ in range(count):
        allowed = None if session is None else session.allowed(pool)
        try:
            if votes is not None:
                draw = _fewest(pool, votes, rng, allowed)
            else:
                assert weights is not None  # noqa: S101
                draw = _weighted(pool, weights, rng, allowed)
        except NoBattleAvailable:
            break
        if session is not None:
            draw = _unseen_prompt(pool, draw, session, rng)
            session.record(draw)
        if rng.getrandbits(1):
            draw = draw._replace(first=draw.second, second=draw.first)
        draws.append(draw)
    if (arena.prompt_priority if prompt_priority is None else prompt_priority) and draws:
        draws = _prompts_prioritise(arena, pool, draws, rng, session)
    return draws


def _unseen_prompt(pool: PairPool, draw: Draw, session: Session, rng: random.Random) -> Draw:
    """The draw with a prompt this session was not shown, when the pair shares one."""
    fresh = [p for p in pool.shared_prompts(draw.first, draw.second) if p not in session.prompt_ids]
    if not fresh or draw.prompt_id in fresh:
        return draw
    return draw._replace(prompt_id=rng.choice(fresh))


def next_pair_distribution(
    arena: Arena, policy: str | None = None
) -> tuple[dict[tuple[int, int], float], Mapping[tuple[int, int], int]]:
    """The probability of each eligible pair at the next draw, and the votes per pair so far.

    What the operator's pairing page shows; the same rules as :func:`pairs_draw`.
    """
    pool = PairPool(selectors.answers_for_pairing(arena))
    counts = selectors.pair_vote_counts(arena)
    weights = _policy_weights(arena, policy or arena.pairing_policy, pool, counts)
    if weights is None:
        if not len(pool):
            return {}, counts
        probabilities = fewest_votes_of(pool.votes(counts))
    else:
        total = float(weights.sum())
        if total <= 0:
            return {}, counts
        probabilities = weights / total
    return {pool.pair(k): float(p) for k, p in enumerate(probabilities)}, counts


def _prompts_prioritise(
    arena: Arena,
    pool: PairPool,
    draws: list[Draw],
    rng: random.Random,
    session: Session | None = None,
) -> list[Draw]:
    """Each draw's prompt chosen again, preferring the prompts where the pair's answers differ
    most and voters tie least (the core's ``prompt_probabilities``), a share kept at random.

    A session's draws keep to prompts it was not shown (the draws' own prompts excepted)."""
    answered = pool.answered
    taken = set() if session is None else session.prompt_ids - {d.prompt_id for d in draws}
    shared = {
        draw: [p for p in pool.shared_prompts(draw.first, draw.second) if p not in taken]
        or [draw.prompt_id]
        for draw in draws
    }

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
        weights = prompt_probabilities(
            np.array([distances.get(answers(draw, p), 0.0) for p in prompts], dtype=np.float64),
            np.array([counts.get(p, (0, 0))[0] for p in prompts], dtype=np.float64),
            np.array([counts.get(p, (0, 0))[1] for p in prompts], dtype=np.float64),
        )
        out.append(draw._replace(prompt_id=rng.choices(prompts, weights=weights.tolist())[0]))
    return out
