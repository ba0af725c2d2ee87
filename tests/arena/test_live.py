"""Own-prompt battles through the real ASGI application: bad input gets a clear refusal.

The socket is the site's own (``config.asgi``: origin check, session and auth middleware),
opened with the session cookie the live page set; the competitors' endpoints are the local
OpenAI-compatible test server.
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from arena.models import Arena, Battle, Competitor, Endpoint, LiveBattle, Vote
from config.asgi import application
from tests.endpoint_server import Reply, last_user_message

pytestmark = pytest.mark.django_db(transaction=True)


def _script(cut: set[str] | None = None) -> Any:
    cut = set(cut or ())

    def script(body: dict[str, Any]) -> Reply:
        text = f"{body['model']} answers {last_user_message(body)} with some words."
        if body["model"] in cut:
            cut.discard(body["model"])
            return Reply(text=text, piece_delay=0.01, cut_after=2)
        return Reply(text=text)

    return script


def _arena(server: Any, **fields: Any) -> Arena:
    arena = Arena.objects.create(slug="main", name="Main", prompt_mode="own", **fields)
    for name in ("one", "two"):
        endpoint = Endpoint.objects.create(name=name, base_url=server.url, model=f"m-{name}")
        arena.competitors.add(Competitor.objects.create(name=name.title(), endpoint=endpoint))
    return arena


async def _socket(client: Client, path: str = "/ws/a/main/live/") -> WebsocketCommunicator:
    page = await sync_to_async(client.get)("/a/main/live/")
    assert page.status_code == 200
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver"), (b"cookie", cookie)]
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def _until(communicator: WebsocketCommunicator, kind: str) -> dict[str, Any]:
    while True:
        frame = await communicator.receive_json_from(timeout=10)
        if frame["type"] in {kind, "error"}:
            return frame


async def _refusal(communicator: WebsocketCommunicator, frame: Any) -> dict[str, Any]:
    await communicator.send_json_to(frame)
    reply = await _until(communicator, "error")
    assert reply["type"] == "error", reply
    return reply


@pytest.mark.parametrize(
    ("frame", "code", "status", "words"),
    [
        ({"type": "prompt", "text": "   "}, "invalid_prompt", 400, "Write a prompt"),
        ({"type": "prompt", "text": "x" * 101}, "invalid_prompt", 400, "at most 100"),
        ({"type": "prompt", "text": "Say Darn it"}, "prompt_refused", 422, "moderation list"),
        ({"type": "prompt", "text": "please flagme"}, "prompt_refused", 422, "moderation check"),
        ({"type": "prompt", "text": 7}, "invalid_request", 400, "string"),
        ({"type": "dance"}, "invalid_request", 400, "prompt, followup or vote"),
        ([1, 2], "invalid_request", 400, "JSON objects"),
        ({"type": "vote", "battle": "nope", "outcome": "A"}, "battle_not_found", 404, "No battle"),
        ({"type": "vote", "outcome": "A"}, "battle_not_found", 404, "No battle"),
        ({"type": "followup", "battle": "nope", "text": "hi"}, "battle_not_found", 404, "No"),
    ],
)
async def test_bad_frames_get_a_clear_refusal(endpoint_server, frame, code, status, words):
    server = endpoint_server(_script())

    def setup() -> None:
        arena = _arena(server, live_prompt_max_chars=100, moderation_words="darn\nheck")
        arena.moderation_endpoint = Endpoint.objects.create(
            name="mod", base_url=server.url, model="omni-moderation-latest"
        )
        arena.save()

    await sync_to_async(setup)()
    communicator = await _socket(Client())
    reply = await _refusal(communicator, frame)
    assert (reply["code"], reply["status"]) == (code, status)
    assert words in reply["message"]
    # The socket stays usable after a refusal: a good prompt then starts a battle.
    await communicator.send_json_to({"type": "prompt", "text": "A fine question"})
    assert (await _until(communicator, "ready"))["type"] == "ready"
    await communicator.disconnect()
    assert not await sync_to_async(Vote.objects.exists)()


async def test_a_frame_that_is_not_json_is_refused(endpoint_server):
    await sync_to_async(_arena)(endpoint_server(_script()))
    communicator = await _socket(Client())
    await communicator.send_to(text_data="{not json")
    reply = await _until(communicator, "error")
    assert (reply["code"], reply["status"]) == ("invalid_request", 400)
    await communicator.disconnect()


async def test_a_vote_on_a_voided_battle_is_refused_and_counts_nothing(endpoint_server):
    await sync_to_async(_arena)(endpoint_server(_script(cut={"m-one", "m-two"})))
    client = Client()
    communicator = await _socket(client)
    await communicator.send_json_to({"type": "prompt", "text": "Hello there"})
    battle = (await _until(communicator, "battle"))["battle"]
    voided = await _until(communicator, "void")
    assert voided["battle"] == battle
    reply = await _refusal(communicator, {"type": "vote", "battle": battle, "outcome": "A"})
    assert (reply["code"], reply["status"]) == ("battle_voided", 410)
    refused = await _refusal(communicator, {"type": "followup", "battle": battle, "text": "and?"})
    assert refused["code"] == "battle_voided"
    await communicator.disconnect()
    # The crowd page's form refuses it too: the battle expired when it was voided.
    response = await sync_to_async(client.post)(f"/battles/{battle}/vote/", {"outcome": "A"})
    assert response.status_code == 410
    assert not await sync_to_async(Vote.objects.exists)()


async def test_an_answer_that_cannot_be_read_voids_the_battle(endpoint_server):
    """An endpoint (or a proxy before it) that garbles its stream: the battle is voided and the
    voter told so, as when a stream is cut (the page waited for ever, "the models are writing")."""

    def script(body: dict[str, Any]) -> Reply:
        return Reply(text="one two three four five", piece_delay=0.01, garble_after=2)

    await sync_to_async(_arena)(endpoint_server(script))
    communicator = await _socket(Client())
    await communicator.send_json_to({"type": "prompt", "text": "Hello there"})
    battle = (await _until(communicator, "battle"))["battle"]
    voided = await _until(communicator, "void")
    assert voided["battle"] == battle
    await communicator.disconnect()
    live = await sync_to_async(LiveBattle.objects.get)(battle__public_id=battle)
    assert live.status == "voided"
    assert "could not be read" in live.void_reason
    assert not await sync_to_async(Vote.objects.exists)()


async def test_turn_limit_and_a_second_vote_are_refused(endpoint_server):
    await sync_to_async(_arena)(endpoint_server(_script()), live_max_turns=1)
    communicator = await _socket(Client())
    await communicator.send_json_to({"type": "prompt", "text": "First"})
    battle = (await _until(communicator, "battle"))["battle"]
    await _until(communicator, "ready")
    reply = await _refusal(communicator, {"type": "followup", "battle": battle, "text": "More"})
    assert (reply["code"], reply["status"]) == ("turn_refused", 409)
    assert "1 turn(s)" in reply["message"]
    bad = await _refusal(communicator, {"type": "vote", "battle": battle, "outcome": "C"})
    assert (bad["code"], bad["status"]) == ("invalid_outcome", 400)
    await communicator.send_json_to({"type": "vote", "battle": battle, "outcome": "B"})
    voted = await _until(communicator, "voted")
    assert {voted["a"], voted["b"]} == {"One", "Two"}
    again = await _refusal(communicator, {"type": "vote", "battle": battle, "outcome": "A"})
    assert (again["code"], again["status"]) == ("already_voted", 409)
    await communicator.disconnect()
    votes = await sync_to_async(lambda: list(Vote.objects.values_list("outcome", flat=True)))()
    assert votes == [2]


async def test_another_voters_battle_is_not_found(endpoint_server):
    await sync_to_async(_arena)(endpoint_server(_script()))
    owner = await _socket(Client())
    await owner.send_json_to({"type": "prompt", "text": "Mine"})
    battle = (await _until(owner, "battle"))["battle"]
    await _until(owner, "ready")
    stranger = await _socket(Client())
    reply = await _refusal(stranger, {"type": "vote", "battle": battle, "outcome": "A"})
    assert (reply["code"], reply["status"]) == ("battle_not_found", 404)
    await stranger.disconnect()
    await owner.disconnect()


def test_the_live_page_of_an_arena_without_own_prompts_is_refused(client, endpoint_server):
    arena = _arena(endpoint_server(_script()))
    arena.prompt_mode = "served"
    arena.save()
    response = client.get("/a/main/live/")
    assert response.status_code == 403
    assert "does not take yours" in response.content.decode()
    assert client.get("/a/nowhere/live/").status_code == 404


def test_a_vote_cut_short_by_the_voter_stores_what_was_shown(endpoint_server):
    """The consumer's cut: a vote while streaming stores the answers as far as they came."""
    from arena.services import live
    from arena.voters import Voter

    arena = _arena(endpoint_server(_script()))
    voter = Voter(session_key="s" * 32)
    start = live.live_battle_start(arena=arena, voter=voter, text="Cut me off")
    cut = {
        call.completion_id: live.AnswerMeasure(f"partial {call.side}", 5, 9, 2)
        for call in start.calls
    }
    vote = live.live_vote(public_id=start.public_id, voter=voter, outcome=1, cut=cut)
    battle = Battle.objects.select_related("completion_a", "completion_b").get()
    assert vote.battle_id == battle.pk
    assert battle.completion_a.text == "partial a"
    assert (battle.completion_b.text, battle.completion_b.output_tokens) == ("partial b", 2)
    assert battle.completion_b.n_chars == len("partial b")
    assert LiveBattle.objects.get().status == "voted"


def test_the_admin_shows_a_voided_live_battle_and_its_turns(admin_client, endpoint_server):
    from arena.services import live
    from arena.voters import Voter

    arena = _arena(endpoint_server(_script()))
    start = live.live_battle_start(
        arena=arena, voter=Voter(session_key="s" * 32), text="Shown to the operator"
    )
    assert live.live_battle_void(public_id=start.public_id, reason="Model A: test failure")
    listing = admin_client.get("/admin/arena/livebattle/?status=voided")
    assert listing.status_code == 200
    assert "Model A: test failure" in listing.content.decode()
    page = admin_client.get(f"/admin/arena/livebattle/{Battle.objects.get().pk}/change/")
    assert page.status_code == 200
    assert "Shown to the operator" in page.content.decode()
    assert admin_client.get("/admin/arena/livebattle/add/").status_code == 403
