"""Tournaments in the arena: setting one up, serving its matches, advancing it once per match."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from arena.models import Battle, Completion, Judge, Outcome
from arena.services.votes import vote_record
from arena.voters import Voter
from leaderboards.exceptions import TournamentInvalid, TournamentNotFound
from leaderboards.models import TournamentMatch
from leaderboards.services.tournaments import (
    tournament_advance,
    tournament_battles_serve,
    tournament_create,
    tournament_view,
)
from tests.arena.api_helpers import Api, key_for
from tests.conftest import answer_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def field(make_competitors, make_prompt, make_arena, judge):
    competitors = make_competitors(4)
    prompts = [make_prompt(), make_prompt()]
    answer_all(competitors, prompts)
    arena = make_arena("cup", competitors=competitors, prompts=prompts)
    return {"arena": arena, "competitors": competitors, "prompts": prompts, "judge": judge}


def _create(field, format="single-elimination", **extra):
    return tournament_create(
        arena=field["arena"],
        name="Cup",
        format=format,
        competitors=field["competitors"],
        prompts=field["prompts"],
        judges=[field["judge"]],
        seed=7,
        **extra,
    )


def _play(battles, judge, strength, outcome=None):
    """Vote on each battle: the stronger competitor (by ``strength``) wins unless told."""
    for battle in battles:
        chosen = outcome
        if chosen is None:
            a_wins = strength[battle.competitor_a_id] > strength[battle.competitor_b_id]
            chosen = Outcome.A if a_wins else Outcome.B
        vote_record(public_id=battle.public_id, voter=Voter(judge=judge), outcome=chosen)


def test_creating_needs_every_answer_and_a_judge(field, make_prompt):
    with pytest.raises(TournamentInvalid, match="missing: Model 0 on prompt"):
        tournament_create(
            arena=field["arena"],
            name="Cup",
            format="swiss",
            competitors=field["competitors"],
            prompts=[*field["prompts"], make_prompt()],
            judges=[field["judge"]],
        )
    with pytest.raises(TournamentInvalid, match="judge"):
        tournament_create(
            arena=field["arena"],
            name="Cup",
            format="swiss",
            competitors=field["competitors"],
            prompts=field["prompts"],
            judges=[],
        )


def test_single_elimination_plays_n_minus_one_matches_per_prompt_and_ranks_the_strongest(field):
    tournament = _create(field)
    judge = field["judge"]
    strength = {c.pk: k for k, c in enumerate(field["competitors"])}
    rounds = 0
    while battles := tournament_battles_serve(tournament_id=tournament.pk, judge=judge, count=50):
        rounds += 1
        # Nothing playable is served twice while its battle is open.
        assert tournament_battles_serve(tournament_id=tournament.pk, judge=judge, count=50) == []
        _play(battles, judge, strength)
    view = tournament_view(tournament_advance(tournament_id=tournament.pk))
    assert rounds == 2
    assert view.done
    assert view.n_recorded == 2 * 3
    assert TournamentMatch.objects.filter(recorded=True).count() == 6
    assert view.standings[0].name == field["competitors"][-1].name
    assert view.tournament.finished_at is not None


def test_a_tie_is_replayed_with_positions_swapped(field):
    tournament = _create(field, format="merge-sort")
    judge = field["judge"]
    first = tournament_battles_serve(tournament_id=tournament.pk, judge=judge, count=1)[0]
    _play([first], judge, {}, outcome=Outcome.TIE)
    again = tournament_battles_serve(tournament_id=tournament.pk, judge=judge, count=50)
    match = TournamentMatch.objects.get(battle=first).match_id
    replay = TournamentMatch.objects.get(match_id=f"{match}/swap").battle
    assert replay in again
    assert (replay.competitor_a_id, replay.competitor_b_id) == (
        first.competitor_b_id,
        first.competitor_a_id,
    )


def test_an_expired_match_is_served_again_and_decided_once(field):
    tournament = _create(field)
    judge = field["judge"]
    served = tournament_battles_serve(tournament_id=tournament.pk, judge=judge, count=50)
    past = timezone.now() - timedelta(days=1)
    Battle.objects.filter(pk=served[0].pk).update(created_at=past, expires_at=past)
    again = tournament_battles_serve(tournament_id=tournament.pk, judge=judge, count=50)
    assert len(again) == 1
    assert TournamentMatch.objects.get(battle=again[0]).match_id == (
        TournamentMatch.objects.get(battle=served[0]).match_id
    )
    _play(again, judge, {}, outcome=Outcome.A)
    for _ in range(2):  # advancing again records nothing more
        tournament = tournament_advance(tournament_id=tournament.pk)
    assert len(tournament.state["results"]) == 1


def test_only_the_tournaments_judges_get_its_matches(field, other_judge):
    tournament = _create(field)
    with pytest.raises(TournamentNotFound):
        tournament_battles_serve(tournament_id=tournament.pk, judge=other_judge, count=5)
    outsider = Api(key_for(scopes=["judge"], judge=other_judge))
    response = outsider.post(f"/api/v1/arenas/cup/tournaments/{tournament.pk}/battles", {})
    assert response.status_code == 404
    assert response.json()["code"] == "tournament_not_found"
    assert not Battle.objects.exists()


def test_the_api_serves_anonymous_matches_and_a_replayed_vote_advances_once(field):
    tournament = _create(field)
    api = Api(key_for(scopes=["judge"], judge=field["judge"]))
    path = f"/api/v1/arenas/cup/tournaments/{tournament.pk}/battles"
    assert api.post(path, {"count": 0}).status_code == 400
    battles = api.post(path, {"count": 10}).json()["battles"]
    assert len(battles) == 4
    assert set(battles[0]) == {"id", "prompt", "a", "b", "expires_at"}
    vote = f"/api/v1/battles/{battles[0]['id']}/vote"
    for _ in range(2):
        assert api.post(vote, {"outcome": "A"}, {"Idempotency-Key": "k1"}).status_code == 201
    detail = api.get(f"/api/v1/arenas/cup/tournaments/{tournament.pk}").json()
    assert detail["recorded"] == 1
    assert detail["pending"] == 3
    assert sum(m["outcome"] is not None for m in detail["matches"]) == 1
    assert api.get("/api/v1/arenas/cup/tournaments/999999").status_code == 404


def test_the_bracket_page_shows_progress(field, client):
    tournament = _create(field)
    judge = field["judge"]
    battles = tournament_battles_serve(tournament_id=tournament.pk, judge=judge, count=50)
    _play(battles[:1], judge, {}, outcome=Outcome.B)
    html = client.get(f"/a/cup/tournaments/{tournament.pk}/").content.decode()
    assert "1 matches played, 3 playable now" in html
    assert html.count("waiting for a judge") == 3
    assert client.get("/a/cup/tournaments/999999/").status_code == 404


def test_the_command_creates_and_lists(field, capsys):
    names = ",".join(c.name for c in field["competitors"])
    prompts = ",".join(str(p.pk) for p in field["prompts"])
    call_command(
        "tournament",
        "create",
        "--arena",
        "cup",
        "--name",
        "Night cup",
        "--format",
        "swiss",
        "--competitors",
        names,
        "--prompts",
        prompts,
        "--judges",
        field["judge"].name,
    )
    assert "Created tournament" in capsys.readouterr().out
    call_command("tournament", "list", "--arena", "cup")
    assert "Night cup  swiss  0 played, 4 playable" in capsys.readouterr().out
    assert Completion.objects.count() == 8
    assert Judge.objects.count() == 1
