from __future__ import annotations

import pytest
from django.urls import reverse

MODELS = [
    "competitor",
    "judge",
    "prompt",
    "completion",
    "battle",
    "vote",
    "arena",
    "promptset",
    "votergroup",
    "votetag",
    "user",
    "apikey",
]


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS)
def test_admin_lists_and_opens_every_model(admin_client, arena_setup, make_battle, model):
    from arena.voters import Voter

    make_battle(voter=Voter(session_key="s"))
    assert admin_client.get(reverse(f"admin:arena_{model}_changelist")).status_code == 200
    if model not in ("vote", "votetag"):
        assert admin_client.get(reverse(f"admin:arena_{model}_add")).status_code == 200


@pytest.mark.django_db
def test_votes_are_read_only_in_the_admin(admin_client, arena_setup, make_battle):
    from arena.models import Outcome, Vote
    from arena.voters import Voter

    battle = make_battle(voter=Voter(session_key="s"))
    vote = Vote.objects.create(
        battle=battle, outcome=Outcome.A, source="crowd", created_at=battle.created_at
    )
    page = admin_client.get(reverse("admin:arena_vote_change", args=[vote.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["leaderboard", "ratingrun"])
def test_admin_lists_rating_models(admin_client, model):
    assert admin_client.get(reverse(f"admin:ratings_{model}_changelist")).status_code == 200
