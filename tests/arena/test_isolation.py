"""Arena isolation: what a private arena holds (prompts, answers, competitor names) is reachable
only through that arena, and uploads elsewhere say nothing about it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from arena.models import Arena, Battle, Competitor, Completion, Outcome, Prompt, VoterGroup
from arena.services.battles import battles_serve
from arena.services.votes import vote_record
from arena.voters import Voter
from tests.arena.api_helpers import Api, key_for
from tests.conftest import answer_all

pytestmark = pytest.mark.django_db

SECRET_TEXT = "What is the launch date of Project Nightjar?"  # noqa: S105
PRIVATE_ANSWER = "**Nightjar** launches on 3 March, per the internal roadmap."


@pytest.fixture
def world(make_competitors, make_prompt, make_arena, django_user_model, judge) -> dict[str, Any]:
    """A public default arena and a private one sharing the operator's ``Model 0`` and ``1``;
    ``Secret-LLM`` is in the private arena only; a secret prompt answered by both there."""
    shared = make_competitors(3)
    public_prompts = [make_prompt(), make_prompt()]
    answer_all(shared, public_prompts)
    public = make_arena("main", competitors=shared, prompts=public_prompts, is_default=True)
    secret_model = Competitor.objects.create(name="Secret-LLM", organisation="Hush Labs")
    secret_prompt = make_prompt(SECRET_TEXT)
    Completion.objects.create(prompt=secret_prompt, competitor=shared[0], text=PRIVATE_ANSWER)
    Completion.objects.create(prompt=secret_prompt, competitor=shared[1], text="Next spring.")
    Completion.objects.create(prompt=secret_prompt, competitor=secret_model, text="Soon.")
    group = VoterGroup.objects.create(name="Insiders", slug="insiders")
    insider = django_user_model.objects.create_user("insider")
    group.members.add(insider)
    private = make_arena(
        "hush",
        competitors=[shared[0], shared[1], secret_model],
        prompts=[secret_prompt],
        visibility=Arena.Visibility.PRIVATE,
        voting_rule=Arena.VotingRule.GROUPS,
    )
    private.voter_groups.add(group)
    battle = battles_serve(arena=private, voter=Voter(judge=judge), count=1)[0]
    vote_record(public_id=battle.public_id, voter=Voter(judge=judge), outcome=Outcome.A)
    outsider = django_user_model.objects.create_user("outsider")
    return {
        "public": public,
        "private": private,
        "shared": shared,
        "secret_prompt": secret_prompt,
        "battle": battle,
        "outsider": outsider,
        "insider": insider,
    }


def upload(api: Api, lines: list[object], path: str = "/api/v1/submissions") -> Any:
    body = "\n".join(json.dumps(x) for x in lines)
    return api.client.post(path, body, content_type="application/x-ndjson", headers=api.headers())


@pytest.fixture
def outsider_owner(world) -> Api:
    return Api(key_for(scopes=["submit", "read", "judge"], user=world["outsider"]))


def test_uploading_a_private_prompts_text_to_a_public_arena_makes_a_new_prompt(
    world, outsider_owner
):
    response = upload(
        outsider_owner,
        [
            {"question_id": "n1", "prompt": SECRET_TEXT},
            {"model": "outsider-llm", "question_id": "n1", "answer": "No idea."},
        ],
    )
    assert response.status_code == 201, response.content
    assert response.json()["created"]["prompts"] == 1  # not 0: nothing said about the other
    public_prompt = Prompt.objects.get(prompt_sets__arenas=world["public"], text=SECRET_TEXT)
    assert public_prompt.pk != world["secret_prompt"].pk
    assert not world["secret_prompt"].prompt_sets.filter(arenas=world["public"]).exists()
    assert not Completion.objects.filter(
        prompt__prompt_sets__arenas=world["public"], text=PRIVATE_ANSWER
    ).exists()


def test_public_battles_never_serve_a_private_answer_after_such_an_upload(
    world, outsider_owner, other_judge
):
    upload(outsider_owner, [{"question_id": "n1", "prompt": SECRET_TEXT}])
    served = battles_serve(arena=world["public"], voter=Voter(judge=other_judge), count=50)
    texts = {c.text for b in served for c in (b.completion_a, b.completion_b)}
    assert PRIVATE_ANSWER not in texts
    assert all(b.prompt.text != SECRET_TEXT for b in served)


def test_a_second_upload_of_the_same_text_to_the_same_arena_reuses_its_prompt(
    world, outsider_owner
):
    lines = [{"question_id": "n1", "prompt": "A shared public question?"}]
    assert upload(outsider_owner, lines).json()["created"]["prompts"] == 1
    assert upload(outsider_owner, lines).json()["created"]["prompts"] == 0
    assert Prompt.objects.filter(text="A shared public question?").count() == 1


def test_history_of_a_private_competitor_is_404_through_a_public_arena(world, outsider_owner):
    private_name = outsider_owner.get("/api/v1/competitors/Secret-LLM/history")
    unknown_name = outsider_owner.get("/api/v1/competitors/No-Such-LLM/history")
    assert private_name.status_code == unknown_name.status_code == 404
    assert private_name.json() == {
        **unknown_name.json(),
        "message": unknown_name.json()["message"].replace("No-Such-LLM", "Secret-LLM"),
    }


def test_history_of_a_shared_competitor_shows_only_the_arenas_own_votes(world, outsider_owner):
    rows = outsider_owner.get(f"/api/v1/competitors/{world['shared'][0].name}/history").json()
    assert all(row["opponent"] != "Secret-LLM" for row in rows)


def test_upload_naming_a_private_competitor_answers_as_for_any_taken_name(
    world, outsider_owner, django_user_model
):
    other = django_user_model.objects.create_user("other-owner")
    Competitor.objects.create(name="Public-LLM", submitted_by=other)
    world["public"].competitors.add(Competitor.objects.get(name="Public-LLM"))
    private = upload(outsider_owner, [{"model": "Secret-LLM"}])
    public = upload(outsider_owner, [{"model": "Public-LLM"}])
    assert private.status_code == public.status_code == 400
    message = private.json()["message"]
    assert message == public.json()["message"].replace("Public-LLM", "Secret-LLM")
    assert "arena" not in message.lower()
    assert "owner" not in message.lower()


def test_upload_to_the_private_arena_by_an_insider_reuses_its_prompt(world):
    insider = Api(key_for(scopes=["submit"], user=world["insider"]))
    response = upload(
        insider,
        [{"question_id": "s1", "prompt": SECRET_TEXT}],
        path="/api/v1/arenas/hush/submissions",
    )
    assert response.status_code == 201, response.content
    assert response.json()["created"]["prompts"] == 0
    assert Prompt.objects.filter(text=SECRET_TEXT).count() == 1


# --- the authorization sweep --------------------------------------------------------------------


#: Every route that takes an arena, competitor, prompt, battle or tournament identifier, with the
#: private arena's items filled in. A new such route fails ``test_the_sweep_covers_every_route``
#: until it is added here.
def _sweep(world: dict[str, Any]) -> list[tuple[str, str]]:
    battle: Battle = world["battle"]
    a, b = "Secret-LLM", world["shared"][0].name
    return [
        ("GET", "/api/v1/arenas/hush/"),
        ("GET", "/api/v1/arenas/hush/export/"),
        ("POST", "/api/v1/arenas/hush/battles"),
        ("POST", f"/api/v1/battles/{battle.public_id}/vote"),
        ("POST", "/api/v1/arenas/hush/submissions"),
        ("GET", "/api/v1/arenas/hush/leaderboard"),
        ("GET", f"/api/v1/competitors/{a}/history"),
        ("GET", f"/api/v1/arenas/hush/competitors/{a}/history"),
        ("GET", "/api/v1/arenas/hush/votes/export"),
        ("GET", "/api/v1/arenas/hush/judges/agreement"),
        ("GET", f"/api/v1/arenas/hush/compare/{a}/{b}/"),
        ("GET", "/api/v1/arenas/hush/tournaments/1"),
        ("POST", "/api/v1/arenas/hush/tournaments/1/battles"),
        ("GET", "/api/v1/arenas/hush/judges/"),
        ("GET", "/api/v1/arenas/hush/leaderboards/"),
        ("GET", "/api/v1/arenas/hush/leaderboards/overall/bt/"),
        ("GET", "/a/hush/"),
        ("GET", "/a/hush/stats/"),
        ("GET", "/a/hush/leaderboard/"),
        ("GET", f"/battles/{battle.public_id}/"),
        ("GET", f"/a/hush/models/{a}/"),
        ("GET", "/a/hush/export.jsonl"),
        ("POST", f"/battles/{battle.public_id}/vote/"),
        ("POST", f"/battles/{battle.public_id}/feedback/"),
        ("GET", "/a/hush/me/"),
        ("GET", "/a/hush/boards/"),
        ("GET", "/a/hush/boards/overall/bt/"),
        ("GET", "/a/hush/judges/"),
        ("GET", "/a/hush/pairing/"),
        ("GET", f"/compare/{a}/{b}/"),
        ("GET", f"/a/hush/compare/?a={a}&b={b}"),
        ("GET", f"/a/hush/compare/{a}/{b}/"),
        ("GET", "/a/hush/tournaments/1/"),
        ("GET", "/a/hush/live/"),
    ]


#: Routes with an identifier that are not about an arena's content: an invitation token, and
#: the default arena's boards by scope and method.
_NOT_ARENA_CONTENT = {
    "groups/join/<str:token>/",
    "boards/<slug:scope>/<str:method>/",
    "api/v1/leaderboards/<slug:scope>/<str:method>/",
}


def _routes() -> set[str]:
    """Every URL pattern's full route, the admin's excluded."""
    found: set[str] = set()

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if getattr(pattern, "app_name", None) == "admin":
                    continue
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                found.add(prefix + str(pattern.pattern))

    walk(get_resolver().url_patterns, "")
    return found


def test_the_sweep_covers_every_route_with_an_identifier(world):
    with_ids = {
        route
        for route in _routes()
        if re.search(r"<(?:\w+:)?(slug|name|a|b|battle_id|public_id|tournament_id)>", route)
    }
    swept = {resolve(path.split("?")[0]).route for _, path in _sweep(world)}
    assert with_ids - _NOT_ARENA_CONTENT - swept == set()


def _ghost(path: str, world: dict[str, Any]) -> str:
    """The same request about things that do not exist."""
    return (
        path.replace("/hush/", "/no-such-arena/")
        .replace("Secret-LLM", "No-Such-LLM")
        .replace(world["battle"].public_id, "AAAAAAAAAAAAAAAAAAAAAA")
    )


@pytest.mark.parametrize("who", ["anonymous", "signed-in outsider", "outsider's api key"])
def test_a_private_arenas_items_answer_as_if_they_did_not_exist(world, client, who, judge):
    """Each request about the private arena's items gets what the same request about nothing
    gets (404 once past authentication; 401 or a sign-in redirect before), never a 2xx."""
    headers: dict[str, str] = {}
    if who == "signed-in outsider":
        client.force_login(world["outsider"])
    if who == "outsider's api key":
        key = key_for(scopes=["submit", "read", "judge"], user=world["outsider"], judge=judge)
        headers = {"Authorization": f"Bearer {key}"}
    Battle.objects.filter(pk=world["battle"].pk).update(
        judge=None, user=world["insider"], origin=Battle.Origin.CROWD
    )

    def status(method: str, path: str) -> int:
        if method == "GET":
            return int(client.get(path, headers=headers).status_code)
        body = json.dumps({"outcome": "A", "count": 1})
        response = client.post(path, body, content_type="application/json", headers=headers)
        return int(response.status_code)

    differ = {}
    for method, path in _sweep(world):
        private, ghost = status(method, path), status(method, _ghost(path, world))
        if private != ghost or private < 300:
            differ[path] = (private, ghost)
    assert differ == {}
    if who == "outsider's api key":
        assert status("GET", "/api/v1/arenas/hush/competitors/Secret-LLM/history") == 404
        assert status("GET", "/api/v1/competitors/Secret-LLM/history") == 404
