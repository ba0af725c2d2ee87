"""The rigging simulation on PostgreSQL: rigged voters are flagged and leaving them out restores
the target's rating; bursts are flagged by voter and by address; admins see why."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from arena.models import Battle, Completion, Vote, VoterFlag
from arena.services.bulk import bulk_insert
from leaderboards import tasks
from leaderboards.models import Leaderboard
from leaderboards.selectors import comparisons_for_leaderboard
from leaderboards.services import leaderboards_check, leaderboards_ensure_defaults
from ratings.core import Comparisons, Outcome, bradley_terry, normal_intervals
from tests.conftest import answer_all

pytestmark = pytest.mark.django_db

N_COMPETITORS = 8
TRUE_SCORES = np.linspace(-1.5, 1.5, N_COMPETITORS)
TARGET = 2  # a weak competitor the riggers push
N_HONEST, HONEST_VOTES, RIG_VOTES = 60, 40, 300


@pytest.fixture
def arena(make_competitors, make_prompt, make_arena):
    competitors = make_competitors(N_COMPETITORS)
    prompts = [make_prompt() for _ in range(3)]
    answer_all(competitors, prompts)
    arena = make_arena("main", competitors=competitors, prompts=prompts, is_default=True)
    leaderboards_ensure_defaults(arena)
    return arena


class Votes:
    """Battles and votes written straight to the tables (COPY), as the vote path writes them."""

    def __init__(self, arena):
        self.arena = arena
        self.completions = {(c.competitor_id, c.prompt_id): c.id for c in Completion.objects.all()}
        self.competitors = sorted({k[0] for k in self.completions})
        self.prompts = sorted({k[1] for k in self.completions})
        self.battles, self.votes = [], []
        self.start = timezone.now() - timedelta(days=3)

    def add(self, rng, session, address, a, b, outcome, *, span_hours=70.0):  # noqa: PLR0917
        created = self.start + timedelta(hours=float(rng.uniform(0, span_hours)))
        prompt = self.prompts[int(rng.integers(len(self.prompts)))]
        ca, cb = self.competitors[a], self.competitors[b]
        self.battles.append(
            {
                "arena_id": self.arena.id,
                "prompt_id": prompt,
                "competitor_a_id": ca,
                "competitor_b_id": cb,
                "completion_a_id": self.completions[(ca, prompt)],
                "completion_b_id": self.completions[(cb, prompt)],
                "origin": Battle.Origin.CROWD,
                "session_key": session,
                "created_at": created,
                "expires_at": created + timedelta(hours=1),
            }
        )
        self.votes.append(
            {
                "outcome": int(outcome),
                "source": Vote.Source.CROWD,
                "session_key": session,
                "client_ip": address,
                "created_at": created + timedelta(seconds=30),
            }
        )

    def save(self):
        ids = bulk_insert(Battle, self.battles)
        bulk_insert(Vote, [v | {"battle_id": i} for v, i in zip(self.votes, ids, strict=True)])


def _pair(rng):
    a = int(rng.integers(N_COMPETITORS))
    return a, int((a + rng.integers(1, N_COMPETITORS)) % N_COMPETITORS)


def _honest_outcome(rng, a, b):
    if rng.random() < 0.1:
        return Outcome.TIE
    p_a = 1.0 / (1.0 + np.exp(TRUE_SCORES[b] - TRUE_SCORES[a]))
    return Outcome.A if rng.random() < p_a else Outcome.B


def _simulate(arena, rng):
    votes = Votes(arena)
    honest = []
    for voter in range(N_HONEST):
        for _ in range(HONEST_VOTES):
            a, b = _pair(rng)
            outcome = _honest_outcome(rng, a, b)
            votes.add(rng, f"honest-{voter:03d}".ljust(32, "x"), f"10.1.0.{voter}", a, b, outcome)
            honest.append((a, b, outcome))
    for _ in range(RIG_VOTES):  # always for the target, in battles that show it
        other = int((TARGET + rng.integers(1, N_COMPETITORS)) % N_COMPETITORS)
        a, b = (TARGET, other) if rng.random() < 0.5 else (other, TARGET)
        votes.add(
            rng, "rigger".ljust(32, "r"), "10.9.0.1", a, b, Outcome.A if a == TARGET else Outcome.B
        )
    for _ in range(RIG_VOTES):  # clicks at random
        a, b = _pair(rng)
        votes.add(
            rng,
            "random".ljust(32, "q"),
            "10.9.0.2",
            a,
            b,
            Outcome.A if rng.random() < 0.5 else Outcome.B,
        )
    votes.save()
    return votes, honest


def _fit(comparisons):
    fit = bradley_terry(comparisons)
    return fit, normal_intervals(comparisons, fit)


def _score(comparisons, name):
    fit, _ = _fit(comparisons)
    return float(fit.scores[comparisons.names.index(name)])


def _rank(scores, i):
    return int(np.sum(scores > scores[i])) + 1


def test_rigging_simulation_flags_riggers_and_excluding_them_restores_the_target(arena):
    rng = np.random.default_rng(2024)
    _, honest = _simulate(arena, rng)
    tasks.voter_flags_update_all()

    flagged = set(VoterFlag.objects.filter(kind="surprise").values_list("session_key", flat=True))
    assert "rigger".ljust(32, "r") in flagged
    assert "random".ljust(32, "q") in flagged
    honest_flagged = {s for s in flagged if s.startswith("honest")}
    assert len(honest_flagged) / N_HONEST < 0.05

    names = tuple(f"Model {i}" for i in range(N_COMPETITORS))
    target = names[TARGET]
    a, b, o = (np.array(x) for x in zip(*honest, strict=True))
    honest_data = Comparisons(
        names=names,
        a=a.astype(np.intp),
        b=b.astype(np.intp),
        outcome=o.astype(np.int8),
        weight=np.ones(a.size),
    )
    honest_fit, honest_ci = _fit(honest_data)
    low, high = honest_ci.low[TARGET], honest_ci.high[TARGET]

    board = Leaderboard.objects.get(arena=arena, slug="crowd")
    watermark = Vote.objects.order_by("-id").first().id
    assert board.exclude_flagged_voters  # the default
    cleaned = comparisons_for_leaderboard(board, watermark)
    board.exclude_flagged_voters = False
    rigged = comparisons_for_leaderboard(board, watermark)

    rigged_score, cleaned_score = _score(rigged, target), _score(cleaned, target)
    print(  # the figures for the README and the report (pytest -s)
        f"\nhonest voters flagged: {len(honest_flagged)}/{N_HONEST}; target honest "
        f"{honest_fit.scores[TARGET]:+.3f} [{low:+.3f}, {high:+.3f}] rank "
        f"{_rank(honest_fit.scores, TARGET)}; rigged {rigged_score:+.3f} rank "
        f"{_rank(bradley_terry(rigged).scores, TARGET)}; cleaned {cleaned_score:+.3f} rank "
        f"{_rank(bradley_terry(cleaned).scores, TARGET)}"
    )
    assert rigged.names == cleaned.names == names
    assert rigged_score > high  # the attack works when nothing is left out...
    assert low <= cleaned_score <= high  # ...and leaving flagged voters out undoes it
    assert rigged.n_comparisons - cleaned.n_comparisons >= 2 * RIG_VOTES


def test_new_flags_give_the_boards_a_new_run(arena):
    rng = np.random.default_rng(1)
    _simulate(arena, rng)
    first = leaderboards_check(enqueue=False)
    assert first
    assert leaderboards_check(enqueue=False) == []  # nothing new
    tasks.voter_flags_update_all()
    again = leaderboards_check(enqueue=False)
    assert again  # the flags changed what the boards count


def test_bursts_are_flagged_by_voter_and_by_address(arena, settings):
    settings.ARENA_BURST_MIN_VOTES = 25
    settings.ARENA_BURST_WINDOW_SECONDS = 3600
    rng = np.random.default_rng(8)
    votes = Votes(arena)
    for _ in range(30):  # one session, 30 votes for the target in half an hour
        other = int((TARGET + rng.integers(1, N_COMPETITORS)) % N_COMPETITORS)
        votes.add(rng, "burst".ljust(32, "b"), "10.7.0.1", TARGET, other, Outcome.A, span_hours=0.5)
    for i in range(30):  # thirty fresh sessions from one address, each one vote for the target
        other = int((TARGET + rng.integers(1, N_COMPETITORS)) % N_COMPETITORS)
        votes.add(
            rng, f"fresh-{i}".ljust(32, "f"), "10.8.0.1", other, TARGET, Outcome.B, span_hours=0.5
        )
    for voter in range(10):  # some ordinary voters
        for _ in range(10):
            a, b = _pair(rng)
            votes.add(
                rng,
                f"calm-{voter}".ljust(32, "c"),
                f"10.2.0.{voter}",
                a,
                b,
                _honest_outcome(rng, a, b),
            )
    votes.save()
    tasks.voter_flags_update_all()
    bursts = VoterFlag.objects.filter(kind="burst")
    assert set(bursts.exclude(session_key="").values_list("session_key", flat=True)) == {
        "burst".ljust(32, "b")
    }
    assert set(bursts.filter(client_ip__isnull=False).values_list("client_ip", flat=True)) == {
        "10.7.0.1",
        "10.8.0.1",
    }
    flag = bursts.get(client_ip="10.8.0.1")
    assert flag.favoured.name == f"Model {TARGET}"
    assert "30 votes for Model 2 from one address" in flag.reason
    board = Leaderboard.objects.get(arena=arena, slug="crowd")
    kept = comparisons_for_leaderboard(board, Vote.objects.order_by("-id").first().id)
    assert kept.n_comparisons == 100  # only the ordinary voters' votes


def test_admin_shows_why_a_voter_was_flagged_without_the_session_key(arena, admin_client):
    rng = np.random.default_rng(2024)
    _simulate(arena, rng)
    tasks.voter_flags_update_all()
    page = admin_client.get("/admin/arena/voterflag/").content.decode()
    assert "log-likelihood" in page
    assert "below the false-positive rate" in page
    assert "Chose Model 2 in 300 of" in page
    assert "rigger" not in page  # the session key itself is never shown
