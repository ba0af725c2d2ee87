"""The judge API: keys, scopes, battles, votes, batches, idempotency, limits and errors."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from arena.models import ApiKey, Battle, Outcome, Vote
from arena.services.api_keys import api_key_revoke
from arena.voters import Voter
from tests.arena.api_helpers import Api, key_for
from tests.conftest import db_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(judge) -> Api:
    return Api(key_for(scopes=["judge"], judge=judge))


@pytest.fixture
def served(arena_setup, make_battle, judge) -> Battle:
    return make_battle(voter=Voter(judge=judge))


def expired_battle(make_battle, judge) -> Battle:
    battle = make_battle(voter=Voter(judge=judge))
    past = timezone.now() - timedelta(hours=2)
    Battle.objects.filter(pk=battle.pk).update(created_at=past, expires_at=past)
    return battle


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert body["message"]
    return body


# --- keys and scopes ---------------------------------------------------------------------------


def test_wrong_key_is_refused_with_401_and_a_bearer_challenge(arena_setup):
    response = Api("arena_not-a-key").post("/api/v1/battles", {"count": 1})
    assert_error(response, 401, "invalid_api_key")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_missing_key_is_refused_with_401(arena_setup):
    assert_error(Api().post("/api/v1/battles", {"count": 1}), 401, "invalid_api_key")


def test_revoked_key_is_refused_with_401(arena_setup, judge):
    secret = key_for(scopes=["judge"], judge=judge)
    api_key_revoke(api_key=ApiKey.objects.get())
    before = db_state()
    assert_error(Api(secret).post("/api/v1/battles", {"count": 1}), 401, "invalid_api_key")
    assert db_state() == before


def test_key_without_the_judge_scope_is_refused_with_403(arena_setup, django_user_model):
    owner = django_user_model.objects.create_user("owner")
    reader = Api(key_for(scopes=["read"], user=owner))
    before = db_state()
    body = assert_error(reader.post("/api/v1/battles", {"count": 1}), 403, "scope_missing")
    assert "judge" in body["message"]
    assert db_state() == before


def test_key_is_stored_hashed_with_a_short_prefix(judge):
    secret = key_for(scopes=["judge"], judge=judge)
    key = ApiKey.objects.get()
    assert key.hashed_key == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(key.prefix)
    assert len(key.prefix) == 12
    assert secret not in str(list(ApiKey.objects.values()))


# --- battles -----------------------------------------------------------------------------------


def test_judge_gets_up_to_count_anonymous_battles_served_to_it(api, arena_setup, judge):
    response = api.post("/api/v1/battles", {"count": 2})
    assert response.status_code == 200
    battles = response.json()["battles"]
    assert len(battles) == 2
    assert set(battles[0]) == {"id", "prompt", "a", "b", "expires_at"}
    stored = Battle.objects.filter(public_id__in=[b["id"] for b in battles])
    assert {(b.origin, b.judge_id) for b in stored} == {("judge", judge.pk)}
    names = [c.name for c in arena_setup["competitors"]]
    assert not any(name in str(battles) for name in ["Org 0", "Org 1"])
    first = stored.get(public_id=battles[0]["id"])
    assert battles[0]["a"] == first.completion_a.text
    assert battles[0]["prompt"] == first.prompt.text
    assert names  # the completions quote their models' names, the payload carries no name field


def test_battles_spread_over_the_pairs_with_fewest_votes(api, arena_setup):
    battles = api.post("/api/v1/battles", {"count": 3}).json()["battles"]
    pairs = {
        frozenset((b.competitor_a_id, b.competitor_b_id))
        for b in Battle.objects.filter(public_id__in=[x["id"] for x in battles])
    }
    assert len(pairs) == 3


def test_battles_can_be_restricted_to_a_pair_and_a_category(api, arena_setup, make_prompt):
    first, _, third = arena_setup["competitors"]
    response = api.post(
        "/api/v1/battles", {"count": 5, "competitors": [first.name, third.name.upper()]}
    )
    ids = [b["id"] for b in response.json()["battles"]]
    assert len(ids) == 5
    assert {
        frozenset((b.competitor_a_id, b.competitor_b_id))
        for b in Battle.objects.filter(public_id__in=ids)
    } == {frozenset((first.pk, third.pk))}
    empty = api.post("/api/v1/battles", {"count": 5, "category": "no-such-category"})
    assert empty.json() == {"battles": []}


def test_battles_restricted_to_an_unknown_competitor_are_refused(api, arena_setup):
    """A well-formed request naming what the arena lacks: 404, as for any missing resource."""
    before = db_state()
    body = assert_error(
        api.post("/api/v1/battles", {"competitors": ["Model 0", "Nobody"]}),
        404,
        "competitor_not_found",
    )
    assert "Nobody" in body["message"]
    assert db_state() == before


def test_battles_of_a_named_arena_and_its_prompt_set(api, arena_setup, make_arena):
    coding = make_arena(
        "coding", competitors=arena_setup["competitors"][:2], prompts=arena_setup["prompts"][:1]
    )
    response = api.post(
        "/api/v1/arenas/coding/battles", {"count": 2, "prompt_set": "coding-prompts"}
    )
    ids = [b["id"] for b in response.json()["battles"]]
    assert set(Battle.objects.filter(public_id__in=ids).values_list("arena", flat=True)) == {
        coding.pk
    }
    assert_error(
        api.post("/api/v1/arenas/coding/battles", {"prompt_set": "main-prompts"}),
        404,
        "prompt_set_not_found",
    )


def test_private_arena_the_keys_owner_may_not_see_is_404(api, arena_setup, make_arena):
    make_arena("secret", visibility="private", competitors=arena_setup["competitors"])
    missing = api.post("/api/v1/arenas/nowhere/battles", {"count": 1})
    private = api.post("/api/v1/arenas/secret/battles", {"count": 1})
    assert_error(private, 404, "arena_not_found")
    assert private.json() == missing.json()


@pytest.mark.parametrize("count", [0, 101, "many", None])
def test_count_outside_1_to_100_is_refused(api, arena_setup, count):
    body = assert_error(api.post("/api/v1/battles", {"count": count}), 400, "invalid_request")
    assert "count" in body["message"]
    assert not Battle.objects.exists()


# --- votes -------------------------------------------------------------------------------------


def test_vote_is_recorded_as_the_judges(api, served, judge):
    response = api.post(
        f"/api/v1/battles/{served.public_id}/vote", {"outcome": "B", "rationale": "B is exact"}
    )
    assert response.status_code == 201
    assert response.json()["battle"] == served.public_id
    vote = Vote.objects.get()
    assert (vote.battle_id, vote.outcome, vote.source, vote.voter_kind, vote.judge_id) == (
        served.pk,
        Outcome.B,
        "judge",
        "judge",
        judge.pk,
    )
    assert vote.rationale == "B is exact"


def test_vote_on_a_battle_served_to_another_judge_is_404_like_a_missing_one(
    arena_setup, make_battle, judge, other_judge, api
):
    theirs = make_battle(voter=Voter(judge=other_judge))
    before = db_state()
    response = api.post(f"/api/v1/battles/{theirs.public_id}/vote", {"outcome": "A"})
    missing = api.post("/api/v1/battles/doesNotExist123/vote", {"outcome": "A"})
    assert_error(response, 404, "battle_not_found")
    assert response.json() == missing.json()
    assert db_state() == before


def test_vote_on_an_expired_battle_is_refused_with_410(arena_setup, make_battle, judge, api):
    battle = expired_battle(make_battle, judge)
    before = db_state()
    assert_error(
        api.post(f"/api/v1/battles/{battle.public_id}/vote", {"outcome": "A"}),
        410,
        "battle_expired",
    )
    assert db_state() == before


@pytest.mark.parametrize("outcome", ["C", "a+", "", 5, None, True, ["A"]])
def test_outcome_outside_the_four_is_refused(api, served, outcome):
    before = db_state()
    response = api.post(f"/api/v1/battles/{served.public_id}/vote", {"outcome": outcome})
    body = assert_error(response, 400, "invalid_outcome")
    assert "A, B, TIE or BOTH_BAD" in body["message"]
    assert db_state() == before


def test_second_vote_on_a_battle_is_409(api, served):
    api.post(f"/api/v1/battles/{served.public_id}/vote", {"outcome": "A"})
    before = db_state()
    response = api.post(f"/api/v1/battles/{served.public_id}/vote", {"outcome": "A"})
    assert_error(response, 409, "already_voted")
    assert db_state() == before


def test_replayed_idempotency_key_returns_the_first_result_and_records_nothing(api, served):
    path = f"/api/v1/battles/{served.public_id}/vote"
    first = api.post(path, {"outcome": "TIE"}, {"Idempotency-Key": "v-1"})
    before = db_state()
    again = api.post(path, {"outcome": "TIE"}, {"Idempotency-Key": "v-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert db_state() == before


def test_same_idempotency_key_with_another_body_is_refused_with_422(api, served):
    path = f"/api/v1/battles/{served.public_id}/vote"
    api.post(path, {"outcome": "TIE"}, {"Idempotency-Key": "v-1"})
    before = db_state()
    response = api.post(path, {"outcome": "A"}, {"Idempotency-Key": "v-1"})
    assert_error(response, 409, "idempotency_key_reused")
    assert db_state() == before


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_with_the_same_key_gets_409(api, served, judge):
    """Another request holding the key (its lock, from another connection) is still running."""
    digest = int.from_bytes(hashlib.sha256(b"v-1").digest()[:4], "big", signed=True)
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=False) as other:
        other.execute("SELECT pg_advisory_xact_lock(%s, %s)", [judge.pk, digest])
        response = api.post(
            f"/api/v1/battles/{served.public_id}/vote", {"outcome": "A"}, {"Idempotency-Key": "v-1"}
        )
    assert_error(response, 409, "idempotency_key_in_progress")
    assert not Vote.objects.exists()


# --- batches -----------------------------------------------------------------------------------


@pytest.fixture
def served_many(arena_setup, make_battle, judge) -> list[Battle]:
    return [make_battle(voter=Voter(judge=judge)) for _ in range(5)]


def test_batch_records_every_verdict(api, served_many):
    verdicts = [
        {"battle": b.public_id, "outcome": o, "rationale": f"r{i}"}
        for i, (b, o) in enumerate(
            zip(served_many, ["A", "B", "TIE", "BOTH_BAD", "a"], strict=True)
        )
    ]
    response = api.post("/api/v1/votes/batch", {"votes": verdicts})
    assert response.status_code == 201
    assert response.json()["recorded"] == 5
    stored = {v.battle.public_id: (v.outcome, v.rationale) for v in Vote.objects.all()}
    assert stored == {
        b.public_id: (o, f"r{i}")
        for i, (b, o) in enumerate(zip(served_many, [1, 2, 3, 4, 1], strict=True))
    }


@pytest.mark.parametrize(
    ("bad", "status", "item_code"),
    [
        ({"outcome": "MAYBE"}, 400, "invalid_outcome"),
        ({"battle": "unknown-battle"}, 404, "battle_not_found"),
        ({"battle": "nul\x00id"}, 404, "battle_not_found"),
        ({"rationale": 7}, 400, "invalid_request"),
        ("not an object", 400, "invalid_request"),
    ],
)
def test_batch_with_one_bad_item_records_nothing_and_names_it(
    api, served_many, bad, status, item_code
):
    verdicts = [{"battle": b.public_id, "outcome": "A"} for b in served_many]
    verdicts[3] = {**verdicts[3], **bad} if isinstance(bad, dict) else bad
    before = db_state()
    body = assert_error(
        api.post("/api/v1/votes/batch", {"votes": verdicts}), status, "batch_item_invalid"
    )
    assert (body["index"], body["item_code"]) == (3, item_code)
    assert "Item 3" in body["message"]
    assert db_state() == before


def test_batch_with_an_expired_or_already_voted_battle_records_nothing(
    api, served_many, make_battle, judge
):
    expired = expired_battle(make_battle, judge)
    api.post(f"/api/v1/battles/{served_many[0].public_id}/vote", {"outcome": "A"})
    before = db_state()
    rest = [{"battle": b.public_id, "outcome": "B"} for b in served_many[1:]]
    late = api.post(
        "/api/v1/votes/batch", {"votes": [*rest, {"battle": expired.public_id, "outcome": "A"}]}
    )
    assert (late.status_code, late.json()["index"], late.json()["item_code"]) == (
        410,
        4,
        "battle_expired",
    )
    twice = api.post(
        "/api/v1/votes/batch",
        {"votes": [*rest, {"battle": served_many[0].public_id, "outcome": "A"}]},
    )
    assert (twice.status_code, twice.json()["index"]) == (409, 4)
    duplicate = api.post("/api/v1/votes/batch", {"votes": [rest[0], rest[0]]})
    assert (duplicate.status_code, duplicate.json()["index"]) == (409, 1)
    assert db_state() == before


def test_batch_of_another_judges_battles_is_refused_as_not_found(
    api, arena_setup, make_battle, other_judge
):
    theirs = make_battle(voter=Voter(judge=other_judge))
    before = db_state()
    response = api.post(
        "/api/v1/votes/batch", {"votes": [{"battle": theirs.public_id, "outcome": "A"}]}
    )
    assert (response.status_code, response.json()["item_code"]) == (404, "battle_not_found")
    assert db_state() == before


def test_batch_replay_returns_the_first_result_and_a_changed_body_is_422(api, served_many):
    verdicts = [{"battle": b.public_id, "outcome": "A"} for b in served_many]
    key = {"Idempotency-Key": "batch-1"}
    first = api.post("/api/v1/votes/batch", {"votes": verdicts}, key)
    before = db_state()
    again = api.post("/api/v1/votes/batch", {"votes": verdicts}, key)
    assert again.status_code == 201
    assert again.json() == first.json()
    changed = api.post("/api/v1/votes/batch", {"votes": verdicts[:4]}, key)
    assert_error(changed, 409, "idempotency_key_reused")
    assert db_state() == before
    assert Vote.objects.count() == 5


@pytest.mark.parametrize("votes", [[], None, {"a": 1}, [{"battle": "x", "outcome": "A"}] * 1001])
def test_batch_must_hold_1_to_1000_verdicts(api, arena_setup, votes):
    body = assert_error(api.post("/api/v1/votes/batch", {"votes": votes}), 400, "invalid_request")
    assert "1 to 1000" in body["message"]


# --- limits and errors -------------------------------------------------------------------------


def test_oversized_body_is_refused_with_413_json(api, served, settings):
    settings.ARENA_API_MAX_BODY_BYTES = 1000
    before = db_state()
    response = api.post(
        f"/api/v1/battles/{served.public_id}/vote", {"outcome": "A", "rationale": "x" * 2000}
    )
    body = assert_error(response, 413, "payload_too_large")
    assert "1000" in body["message"]
    assert db_state() == before


def test_requests_over_the_keys_rate_get_429_with_retry_after(api, arena_setup, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "2/min", "client_address": "100/min"},
    }
    statuses = [api.post("/api/v1/battles", {"count": 1}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = api.post("/api/v1/battles", {"count": 1})
    assert_error(response, 429, "throttled")
    assert 0 < int(response.headers["Retry-After"]) <= 60
    other = Api(key_for(scopes=["judge"], name="judge-two"))
    assert other.post("/api/v1/battles", {"count": 1}).status_code == 200


def test_requests_over_the_addresss_rate_get_429_whatever_the_key(arena_setup, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "100/min", "client_address": "2/min"},
    }
    client = Api()
    assert [client.get("/api/v1/arenas/").status_code for _ in range(3)] == [200, 200, 429]
    assert_error(client.get("/api/v1/arenas/"), 429, "throttled")


def test_forwarded_for_is_ignored_unless_proxies_are_trusted(arena_setup, settings):
    from django.test import RequestFactory

    from arena.api.throttling import client_address

    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4"
    )
    assert client_address(request) == "10.0.0.1"
    settings.ARENA_TRUSTED_PROXY_COUNT = 1
    assert client_address(request) == "1.2.3.4"
    settings.ARENA_TRUSTED_PROXY_COUNT = 2
    assert client_address(request) == "6.6.6.6"


def test_drf_errors_are_json_with_a_stable_code(api, served):
    path = f"/api/v1/battles/{served.public_id}/vote"
    assert_error(api.get(path), 405, "method_not_allowed")
    broken = api.client.post(
        path, "{not json", content_type="application/json", headers=api.headers()
    )
    assert_error(broken, 400, "parse_error")
    form = api.client.post(path, {"outcome": "A"}, headers=api.headers())
    assert_error(form, 415, "unsupported_media_type")
    assert_error(api.get("/api/v1/nothing-here"), 404, "not_found")
    assert not Vote.objects.exists()


def test_bad_idempotency_key_is_refused(api, served):
    response = api.post(
        f"/api/v1/battles/{served.public_id}/vote", {"outcome": "A"}, {"Idempotency-Key": "x" * 201}
    )
    assert_error(response, 400, "invalid_request")
    assert not Vote.objects.exists()


def test_a_vote_carries_an_optional_soft_label(api, served):
    response = api.post(f"/api/v1/battles/{served.public_id}/vote", {"outcome": "B", "p_b": 0.8})
    assert response.status_code == 201
    assert Vote.objects.get().p_b == 0.8


@pytest.mark.parametrize(
    "p_b",
    [1.5, -0.1, "0.8", True],  # out of range, a string, a boolean
)
def test_a_bad_soft_label_is_refused_and_records_nothing(api, served, p_b):
    response = api.post(f"/api/v1/battles/{served.public_id}/vote", {"outcome": "B", "p_b": p_b})
    assert response.status_code == 400
    assert "p_b" in response.json()["message"]
    assert not Vote.objects.exists()


def test_a_non_finite_soft_label_is_refused(api, served):
    response = api.client.post(
        f"/api/v1/battles/{served.public_id}/vote",
        '{"outcome": "B", "p_b": NaN}',
        content_type="application/json",
        headers=api.headers(),
    )
    assert response.status_code == 400
    assert not Vote.objects.exists()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/battles", {"count": 1, "competitor": ["Model 0", "Model 1"]}),
        ("/api/v1/votes/batch", {"votes": [], "extra": 1}),
    ],
)
def test_a_request_body_with_a_field_the_api_does_not_know_is_refused(api, arena_setup, path, body):
    """A misspelt filter must not serve unfiltered battles; the schema says additionalProperties
    false for every request body, and the API holds to it."""
    before = db_state()
    response = assert_error(api.post(path, body), 400, "invalid_request")
    assert "Unknown field" in response["message"]
    assert db_state() == before
    schema = api.client.get("/api/schema/?format=json").json()["components"]["schemas"]
    assert schema["BattlesRequestRequest"]["additionalProperties"] is False
    assert schema["BatchItemRequest"]["additionalProperties"] is False
