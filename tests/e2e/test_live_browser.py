"""Own-prompt battles in a real browser, through the real stack (issue #20).

Daphne serves the page and the websocket (a Redis channel layer of the test's own), a Celery
worker and beat rate the votes, and the two competitors point at the local OpenAI-compatible
test server, which streams their answers over real HTTP server-sent events.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from arena.models import (
    Arena,
    Battle,
    Competitor,
    Completion,
    Endpoint,
    LiveBattle,
    LiveTurn,
    Prompt,
    Vote,
)
from tests.e2e.browser import browser_page
from tests.e2e.stack import Stack, board_push, running_stack
from tests.e2e.test_accessibility import axe_script, violations
from tests.endpoint_server import Reply, last_user_message, pieces_of

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(os.environ.get("ARENA_SCREENSHOTS", "/tmp/arena-screenshots"))  # noqa: S108
WORDS = 24


def answer_text(model: str, prompt: str) -> str:
    """What the scripted model answers: words that name neither competitor."""
    body = " ".join(f"w{k}" for k in range(WORDS))
    return f"{model} on '{prompt}': {body} end."


@pytest.fixture(autouse=True)
def _allow_orm_beside_playwright(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def live_arena(server: Any, *, piece_delay: float = 0.04) -> Arena:
    arena = Arena.objects.create(
        slug="main", name="Main", is_default=True, prompt_mode="own", live_max_turns=2
    )
    for name, model, price in (("Orca", "model-one", 2.0), ("Heron", "model-two", None)):
        endpoint = Endpoint.objects.create(
            name=name.lower(),
            base_url=server.url,
            model=model,
            timeout_seconds=20,
            usd_per_million_output=price,
        )
        arena.competitors.add(Competitor.objects.create(name=name, endpoint=endpoint))
    return arena


def streaming_script(piece_delay: float, cut: set[str] | None = None) -> Any:
    """Answers by model; the first request of each model in ``cut`` is cut short."""
    cut = set(cut or ())

    def script(body: dict[str, Any]) -> Reply:
        model = body["model"]
        text = answer_text(model, last_user_message(body))
        if model in cut:
            cut.discard(model)
            return Reply(text=text, piece_delay=piece_delay, cut_after=5)
        return Reply(text=text, piece_delay=piece_delay)

    return script


def test_a_voter_asks_sees_both_answers_stream_follows_up_and_votes(
    endpoint_server: Any, tmp_path: Path
) -> None:
    # 0.1 s a piece: each answer streams for about 3 s, so both are seen streaming at once
    # even on a loaded machine (at 0.04 s one could end before the other began).
    server = endpoint_server(streaming_script(0.1))
    arena = live_arena(server)
    with running_stack(tmp_path) as stack:
        # axe is injected as a script of the page's own, which the site's CSP forbids.
        with browser_page(viewport={"width": 1280, "height": 900}, bypass_csp=True) as page:
            page.goto(stack.url + "/")  # the default arena takes own prompts: / leads to /live/
            assert page.url.endswith("/live/")
            page.fill("#prompt", "Why are there tides?")
            page.click("#send")
            # Both answers are visibly streaming at once, and the vote is open meanwhile.
            page.wait_for_function(
                """() => ['a', 'b'].every((s) => {
                    const el = document.getElementById(`answer-0-${s}`);
                    return el && el.classList.contains('streaming')
                        && el.querySelector('.text').textContent.length > 0; })""",
                timeout=15_000,
            )
            assert page.is_enabled("#live-vote button[data-outcome='A']")
            body = page.inner_text("main")
            assert "Orca" not in body
            assert "Heron" not in body
            wait_or_explain(page, stack, "text=Both answers are in")
            page.fill("#prompt", "And what does the moon do?")
            page.click("#send")
            page.wait_for_function("() => document.getElementById('answer-1-a') !== null")
            wait_or_explain(page, stack, "text=Both answers are in: vote.")
            assert "Orca" not in page.inner_text("main")
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "live-desktop.png"), full_page=True)
            assert not violations(page, axe_script())
            page.click("#live-vote button[data-outcome='A']")
            page.wait_for_selector("#live-result:not([hidden])", timeout=10_000)
            revealed = page.inner_text("#live-result")
            page.set_viewport_size({"width": 390, "height": 844})
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            page.screenshot(path=str(SCREENSHOTS / "live-phone.png"), full_page=True)
            assert not violations(page, axe_script())
        pushed = listen(stack, lambda m: m.get("n_votes") == 1)

    battle = Battle.objects.select_related("competitor_a", "competitor_b").get(arena=arena)
    assert f"A was {battle.competitor_a.name}, B was {battle.competitor_b.name}" in revealed
    vote = Vote.objects.get()
    assert (vote.battle_id, vote.outcome, vote.source) == (battle.pk, 1, "crowd")
    assert pushed["watermark"] == vote.pk
    assert LiveBattle.objects.get(battle=battle).status == "voted"
    turns = list(LiveTurn.objects.filter(live__battle=battle).select_related("prompt"))
    assert [t.prompt.text for t in turns] == ["Why are there tides?", "And what does the moon do?"]
    assert all(t.prompt.is_live and t.prompt.arena_id == arena.pk for t in turns)
    assert (turns[0].completion_a_id, turns[0].completion_b_id) == (
        battle.completion_a_id,
        battle.completion_b_id,
    )
    for turn in turns:
        for completion in (turn.completion_a, turn.completion_b):
            model = completion.competitor.endpoint.model
            assert completion.origin == "live"
            assert completion.text == answer_text(model, turn.prompt.text)  # no piece lost
            assert completion.output_tokens == len(pieces_of(completion.text))
            assert completion.n_chars == len(completion.text)  # style features computed
            assert completion.identity_leak == ""
            assert 0 < completion.first_token_ms <= completion.latency_ms
            priced = completion.competitor.name == "Orca"
            assert (completion.cost_usd is not None) == priced
            if priced:
                expected = len(pieces_of(completion.text)) * 2.0 / 1e6
                assert completion.cost_usd == pytest.approx(expected)
    # The follow-up was asked with the conversation as each model had it.
    followups = [r for r in server.received() if len(r["messages"]) == 3]
    assert len(followups) == 2
    for request in followups:
        first = answer_text(request["model"], "Why are there tides?")
        assert request["messages"][1] == {"role": "assistant", "content": first}
    assert Prompt.objects.filter(is_live=True).count() == 2
    assert Completion.objects.filter(origin="live").count() == 4


#: A slow network's websocket: the page's socket stays connecting until the test calls
#: ``window.openSocket()``, then it is the browser's own socket, events passed through.
SLOW_SOCKET = """
(() => {
  const Real = window.WebSocket;
  let open;
  const gate = new Promise((resolve) => { open = resolve; });
  window.openSocket = () => open();
  class SlowSocket extends EventTarget {
    constructor(url) {
      super();
      this.readyState = Real.CONNECTING;
      gate.then(() => {
        const real = (this.real = new Real(url));
        const pass = (make) => (event) => {
          this.readyState = real.readyState;
          this.dispatchEvent(make(event));
        };
        real.addEventListener("open", pass(() => new Event("open")));
        const message = (e) => new MessageEvent("message", { data: e.data });
        real.addEventListener("message", pass(message));
        real.addEventListener("close", pass((e) => new CloseEvent("close", { code: e.code })));
      });
    }
    send(data) {
      if (this.readyState !== Real.OPEN) {
        throw new DOMException("not open", "InvalidStateError");
      }
      this.real.send(data);
    }
  }
  Object.assign(SlowSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  window.WebSocket = SlowSocket;
})();
"""


def test_the_prompt_cannot_be_sent_before_the_socket_is_open(
    endpoint_server: Any, tmp_path: Path
) -> None:
    """A voter on a slow connection who types before the socket opens is not told to reload:
    Send waits for the socket (it was enabled at once, and a prompt sent early was refused)."""
    server = endpoint_server(streaming_script(0.01))
    live_arena(server)
    phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True}
    with running_stack(tmp_path, worker=False, beat=False) as stack, browser_page(**phone) as page:
        page.add_init_script(SLOW_SOCKET)
        page.goto(stack.url + "/a/main/live/")
        page.fill("#prompt", "Tell me a story.")
        assert page.is_disabled("#send")
        assert page.inner_text("#live-status") == "Connecting…"
        page.evaluate("window.openSocket()")
        page.click("#send")  # Playwright waits until it is enabled
        wait_or_explain(page, stack, "text=Both answers are in")
        assert "reload" not in page.inner_text("#live-status")


def test_a_stream_cut_short_voids_the_battle_and_a_new_pair_is_offered(
    endpoint_server: Any, tmp_path: Path
) -> None:
    server = endpoint_server(streaming_script(0.03, cut={"model-one", "model-two"}))
    arena = live_arena(server)
    with running_stack(tmp_path, worker=False, beat=False) as stack:
        phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
        with browser_page(**phone) as page:
            page.goto(stack.url + "/a/main/live/")
            page.fill("#prompt", "Tell me a story.")
            page.click("#send")
            wait_or_explain(page, stack, "#live-void:not([hidden])")
            assert "nothing was counted" in page.inner_text("#live-void")
            assert page.is_hidden("#live-vote")
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "live-void-phone.png"), full_page=True)
            voided = Battle.objects.get(arena=arena)
            page.click("#new-pair")
            wait_or_explain(page, stack, "text=Both answers are in")
            fresh = Battle.objects.exclude(pk=voided.pk).get(arena=arena)
            assert LiveBattle.objects.get(battle=fresh).status == "ready"
            assert Completion.objects.get(pk=fresh.completion_a_id).text  # streamed whole
        # The voter left without voting: the second battle is voided too, once Daphne sees
        # the socket close.
        deadline = time.monotonic() + 15
        while LiveBattle.objects.get(battle=fresh).status != "voided":
            assert time.monotonic() < deadline, "the abandoned battle was not voided"
            time.sleep(0.1)
    live = LiveBattle.objects.get(battle=voided)
    assert live.status == "voided"
    assert "ended before the answer was finished" in live.void_reason
    voided.refresh_from_db()
    assert voided.expires_at == voided.created_at
    assert fresh.prompt.text == "Tell me a story."
    assert not Vote.objects.exists()


def wait_or_explain(page: Any, stack: Stack, selector: str, timeout: float = 15.0) -> None:
    """Wait for ``selector``; on timeout, fail with what the page said and the server logged."""
    try:
        page.wait_for_selector(selector, timeout=timeout * 1000)
    except PlaywrightTimeout:
        status = page.inner_text("#live-status")
        raise AssertionError(
            f"{selector} not shown in {timeout:g} s; the page said {status!r}\n"
            f"web:\n{stack.log('web')}"
        ) from None


def listen(stack: Stack, want: Any, timeout: float = 60.0) -> dict[str, Any]:
    try:
        return board_push(stack.url, want, timeout)
    except AssertionError:
        print(
            "worker:", stack.log("worker"), "\nbeat:", stack.log("beat"), "\nweb:", stack.log("web")
        )
        raise
