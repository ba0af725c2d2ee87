"""The personal board's arena side after the names query was rewritten (issue #19: 8-12 s).

The old query OR-ed three joins and PostgreSQL built their product; the new one takes ids by
subquery. These tests hold the new query to the old one's answer, and the board built on it to
the board built on the old names, to 1e-9.
"""

from __future__ import annotations

import numpy as np
import pytest
from django.db.models import Q

from arena.models import Arena, Competitor, Outcome
from arena.selectors import competitor_names_for_arena
from arena.services.votes import vote_record
from arena.voters import Voter
from leaderboards.reports.boards import OFFSET, personal_board
from leaderboards.selectors import comparisons_for_arena
from ratings.core.bradley_terry import bradley_terry
from ratings.core.personal import bradley_terry_shrunk
from ratings.core.types import ELO_PER_LOG_UNIT, Comparisons
from tests.conftest import answer_all

pytestmark = pytest.mark.django_db


def _old_names(arena: Arena) -> list[str]:
    """The query as it was before the rewrite: the reference."""
    from arena.models import Battle

    voted = Battle.objects.filter(arena=arena, vote__isnull=False)
    return list(
        Competitor.objects.filter(
            Q(arenas=arena) | Q(battles_as_a__in=voted) | Q(battles_as_b__in=voted)
        )
        .distinct()
        .order_by("name")
        .values_list("name", flat=True)
    )


@pytest.fixture
def two_arenas(make_competitors, make_prompt, make_arena, make_battle):
    """``main`` pools Model 0-2 and has votes on Model 3 (dropped from its pool); Model 4 is
    only in ``other``, and Model 5 in no arena."""
    competitors = make_competitors(6)
    prompts = [make_prompt(), make_prompt()]
    answer_all(competitors, prompts)
    main = make_arena("main", competitors=competitors[:4], prompts=prompts, is_default=True)
    other = make_arena("other", competitors=competitors[4:5], prompts=prompts)
    rng = np.random.default_rng(0)
    for k in range(60):
        voter = Voter(session_key=f"s{k % 4}")
        a, b = rng.choice(4, size=2, replace=False)
        battle = make_battle(voter=voter, a=competitors[a], b=competitors[b], arena=main)
        vote_record(
            public_id=battle.public_id, voter=voter, outcome=Outcome(int(rng.integers(1, 4)))
        )
    main.competitors.set(competitors[:3])
    return main, other


def test_arena_names_equal_the_old_query(two_arenas):
    main, other = two_arenas
    assert competitor_names_for_arena(main) == _old_names(main)
    assert competitor_names_for_arena(main) == ["Model 0", "Model 1", "Model 2", "Model 3"]
    assert competitor_names_for_arena(other) == _old_names(other) == ["Model 4"]


def test_personal_board_equals_the_one_on_the_old_names(two_arenas):
    main, _ = two_arenas
    voter = Voter(session_key="s1")
    board = personal_board(arena=main, voter=voter, min_votes=1, prior_precision=2.0)
    # The board as computed before, step by step, on the old query's names.
    names = _old_names(main)
    everyone = comparisons_for_arena(main)
    mine = comparisons_for_arena(main, voter=voter)
    old_everyone = Comparisons.from_labels(
        [everyone.names[i] for i in everyone.a],
        [everyone.names[i] for i in everyone.b],
        list(everyone.outcome),
        names=names,
    )
    old_mine = Comparisons.from_labels(
        [mine.names[i] for i in mine.a],
        [mine.names[i] for i in mine.b],
        list(mine.outcome),
        names=names,
    )
    arena_scores = bradley_terry(old_everyone, on_disconnected="groups").scores
    fit = bradley_terry_shrunk(old_mine, arena_scores, prior_precision=2.0)
    assert [r.name for r in board.rows] == names
    for k, row in enumerate(board.rows):
        assert row.arena_rating == pytest.approx(
            OFFSET + ELO_PER_LOG_UNIT * arena_scores[k], abs=1e-9
        )
        assert row.rating == pytest.approx(OFFSET + ELO_PER_LOG_UNIT * fit.scores[k], abs=1e-9)
        assert row.ci_low == pytest.approx(OFFSET + ELO_PER_LOG_UNIT * fit.ci_low[k], abs=1e-9)
