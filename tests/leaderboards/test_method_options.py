"""A board's own method options: style control and Elo orderings chosen per leaderboard,
checked on save, stored in the run and honoured by the engine."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from leaderboards import services
from leaderboards.models import Leaderboard, RatingRun
from leaderboards.selectors import comparisons_for_leaderboard
from ratings import engine

pytestmark = pytest.mark.django_db


def _board(cast_votes, n_votes: int, options: dict[str, object]) -> Leaderboard:
    cast_votes(n_votes)
    services.leaderboards_check(enqueue=False)  # creates the default boards
    board = Leaderboard.objects.get(arena__slug="main", slug="all")
    board.method_options = options
    board.full_clean()
    board.save()
    return board


def test_board_options_reach_the_stored_run_and_the_engine(cast_votes):
    board = _board(
        cast_votes,
        40,
        {
            "elo": {"orderings": 50, "seed": 3},
            "style-bt": {"style_features": ["length"], "l2": 1.0},
        },
    )
    services.leaderboards_check(enqueue=False)
    runs = {
        r.method: r
        for r in RatingRun.objects.filter(leaderboard=board).order_by("id")
        if r.params["options"].get("orderings", 1) > 1 or r.method == "style-bt"
    }
    elo_options = runs["elo"].params["options"]
    # the orderings' interval replaces the board's bootstrap
    assert elo_options == engine.options_to_json(engine.EloOptions(orderings=50, seed=3))
    style_options = runs["style-bt"].params["options"]
    assert style_options["style_features"] == ["tokens"]
    assert style_options["l2"] == 1.0

    run = runs["elo"]
    assert services.rating_run_execute(run_id=run.id, task_id="orderings") == "done"
    run.refresh_from_db()
    votes = comparisons_for_leaderboard(board, run.watermark)
    direct = engine.rate(votes, "elo", engine.EloOptions(orderings=50, seed=3))
    stored = {row["name"]: (row["rating"], row["ci_low"]) for row in run.result["competitors"]}
    for row in direct["competitors"]:
        assert stored[row["name"]] == pytest.approx((row["rating"], row["ci_low"]), abs=1e-9)
    assert run.result["params"]["ci"] == "orderings"


def test_a_board_without_options_keeps_its_published_defaults(cast_votes):
    cast_votes(10)
    services.leaderboards_check(enqueue=False)
    board = Leaderboard.objects.get(arena__slug="main", slug="all")
    assert board.method_options == {}
    options = services.runs.run_options(board, "elo")
    assert options == engine.EloOptions(bootstrap=board.bootstrap_rounds, seed=0, orderings=1)
    assert services.runs.run_options(board, "style-bt") == engine.StyleOptions()


@pytest.mark.parametrize(
    "options",
    [
        {"style-bt": {"style_features": ["emoji"]}},
        {"style-bt": {"l2": -1}},
        {"elo": {"orderings": "many"}},
        {"elo": {"orderings": 10, "bootstrap": 100}},
        {"elo": {"no_such_option": 1}},
        {"elo": ["orderings", 10]},
        {"no-such-method": {}},
    ],
)
def test_options_no_run_could_honour_are_refused_on_save(cast_votes, options):
    cast_votes(1)
    services.leaderboards_check(enqueue=False)
    board = Leaderboard.objects.get(arena__slug="main", slug="all")
    board.method_options = options
    with pytest.raises(ValidationError) as refused:
        board.full_clean()
    assert "method_options" in refused.value.message_dict


def test_bad_options_saved_past_validation_fail_the_run_and_say_why(cast_votes):
    cast_votes(10)
    services.leaderboards_check(enqueue=False)
    board = Leaderboard.objects.get(arena__slug="main", slug="all")
    Leaderboard.objects.filter(pk=board.pk).update(method_options={"elo": {"orderings": "many"}})
    cast_votes(1, seed=3)
    services.leaderboards_check(enqueue=False)
    run = RatingRun.objects.filter(leaderboard=board, method="elo").latest("id")
    assert services.rating_run_execute(run_id=run.id, task_id="bad") == "failed"
    run.refresh_from_db()
    assert "orderings" in run.error
