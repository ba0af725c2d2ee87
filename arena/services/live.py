"""Own-prompt battles: the voter writes a prompt, two competitors' endpoints answer it live.

The websocket consumer streams the answers; every write is here. A live battle is an
ordinary crowd ``Battle`` whose first prompt and answers are its own (``Prompt.is_live``,
``Completion.origin = live``), created empty when the streams start and filled in when they
end, so that the vote goes through ``vote_record`` like any other and the boards count it
like any other. A battle whose answer fails, times out or is cut short by the server is
voided: its expiry is set to its creation, so no write path can count a vote on it.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from arena import access, selectors
from arena.exceptions import (
    BattleVoided,
    InvalidPrompt,
    NoBattleAvailable,
    OwnPromptsOff,
    PromptRefused,
    TurnRefused,
)
from arena.models import (
    Arena,
    Battle,
    Competitor,
    Completion,
    LiveBattle,
    LiveTurn,
    Outcome,
    PromptMode,
    Vote,
)
from arena.models import Prompt as PromptRow
from arena.services.endpoints import (
    EndpointConfig,
    EndpointError,
    endpoint_config,
    moderation_flagged,
)
from arena.services.pair_draws import pairs_draw
from arena.services.votes import vote_record
from arena.voters import Voter

_SYSTEM_RANDOM = random.SystemRandom()
#: The placeholder prompt every live competitor "answered", so the pairing policy draws among
#: them by its usual rules (the prompt comes from the voter, not from the draw).
_ANY_PROMPT = 0


@dataclass(frozen=True, slots=True)
class LiveCall:
    """One side's answer to stream: where to ask, what to send, where to store it."""

    side: str  # "a" or "b"
    completion_id: int
    config: EndpointConfig
    messages: tuple[dict[str, str], ...]


@dataclass(frozen=True, slots=True)
class LiveTurnStart:
    public_id: str
    turn: int
    calls: tuple[LiveCall, LiveCall]


@dataclass(frozen=True, slots=True)
class AnswerMeasure:
    """What the consumer saw of one answer: its text, first-token time, latency, tokens."""

    text: str
    first_token_ms: int | None
    latency_ms: int
    output_tokens: int


def own_prompt_check(*, arena: Arena, text: str) -> str:
    """The prompt as it will be sent, or a refusal: empty, too long, or moderated (the
    arena's word list first, then its moderation endpoint if it has one)."""
    if arena.prompt_mode == PromptMode.SERVED:
        raise OwnPromptsOff
    text = text.strip()
    if not text:
        raise InvalidPrompt
    if len(text) > arena.live_prompt_max_chars:
        raise InvalidPrompt(
            f"The prompt is {len(text):,} characters long; this arena takes at most "
            f"{arena.live_prompt_max_chars:,}."
        )
    words = [w.strip() for w in arena.moderation_words.splitlines() if w.strip()]
    if words:
        pattern = r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b"
        if re.search(pattern, text, flags=re.IGNORECASE):
            raise PromptRefused(
                "This arena does not accept prompts with one of the words on its moderation "
                "list; please rephrase it."
            )
    if arena.moderation_endpoint is not None:
        try:
            flagged = moderation_flagged(endpoint_config(arena.moderation_endpoint), text)
        except EndpointError:
            raise PromptRefused(
                "The arena's moderation check did not answer, so the prompt was not sent; "
                "try again in a moment."
            ) from None
        if flagged:
            raise PromptRefused("The arena's moderation check refused this prompt.")
    return text


def live_battle_start(
    *,
    arena: Arena,
    voter: Voter,
    text: str,
    rng: random.Random | None = None,
    now: datetime | None = None,
) -> LiveTurnStart:
    """A new live battle on the voter's prompt: two competitors with endpoints drawn by the
    arena's pairing policy (A/B at random), their empty answers stored, the calls to make."""
    text = own_prompt_check(arena=arena, text=text)
    access.voting_check(arena, voter)
    access.cap_check(arena, voter)
    live_ids = selectors.live_competitor_ids(arena)
    sheet = {competitor: {_ANY_PROMPT: 0} for competitor in live_ids}
    draws = pairs_draw(
        arena, arena.pairing_policy, sheet, rng or _SYSTEM_RANDOM, 1, prompt_priority=False
    )
    if not draws:
        raise NoBattleAvailable(
            "No live battle can be made: the arena needs two active competitors with an endpoint."
        )
    return _battle_write(arena, voter, text, draws[0], now or timezone.now())


@transaction.atomic
def _battle_write(
    arena: Arena, voter: Voter, text: str, draw: tuple[int, int, int, float], now: datetime
) -> LiveTurnStart:
    first, second, _, probability = draw
    prompt = _prompt_new(arena, voter, text)
    answer_a, answer_b = _answers_new(prompt, first, second)
    battle = Battle.objects.create(
        arena=arena,
        prompt=prompt,
        competitor_a_id=first,
        competitor_b_id=second,
        completion_a=answer_a,
        completion_b=answer_b,
        origin=Battle.Origin.CROWD,
        pair_probability=probability,
        user=voter.user,
        session_key="" if voter.user else voter.session_key,
        created_at=now,
        expires_at=now + timedelta(seconds=settings.ARENA_BATTLE_TTL_SECONDS),
    )
    live = LiveBattle.objects.create(battle=battle)
    turn = LiveTurn.objects.create(
        live=live, number=0, prompt=prompt, completion_a=answer_a, completion_b=answer_b
    )
    return _turn_start(battle.public_id, [turn])


def live_turn_add(*, public_id: str, voter: Voter, text: str) -> LiveTurnStart:
    """A follow-up: allowed once both answers are in, before the vote, up to the turn limit."""
    live = selectors.live_battle_get_for_voter(public_id=public_id, voter=voter)
    text = own_prompt_check(arena=live.battle.arena, text=text)
    with transaction.atomic():
        live = _locked(live)
        if live.status != LiveBattle.Status.READY:
            raise TurnRefused
        turns = selectors.live_turns(live)
        arena = live.battle.arena
        if len(turns) >= arena.live_max_turns:
            raise TurnRefused(
                f"This arena allows {arena.live_max_turns} turn(s) per battle; vote now."
            )
        prompt = _prompt_new(arena, voter, text)
        battle = live.battle
        answer_a, answer_b = _answers_new(prompt, battle.competitor_a_id, battle.competitor_b_id)
        turn = LiveTurn.objects.create(
            live=live,
            number=len(turns),
            prompt=prompt,
            completion_a=answer_a,
            completion_b=answer_b,
        )
        live.status = LiveBattle.Status.STREAMING
        live.save(update_fields=["status", "updated_at"])
    return _turn_start(public_id, [*turns, turn])


def _locked(live: LiveBattle) -> LiveBattle:
    locked = LiveBattle.objects.select_for_update().get(pk=live.pk)
    locked.battle = live.battle
    if locked.status == LiveBattle.Status.VOIDED:
        raise BattleVoided
    return locked


def _prompt_new(arena: Arena, voter: Voter, text: str) -> PromptRow:
    prompt = PromptRow(text=text, arena=arena, submitted_by=voter.user, is_live=True)
    prompt.save(force_insert=True)
    return prompt


def _answers_new(prompt: PromptRow, first: int, second: int) -> tuple[Completion, Completion]:
    """Both answers, empty until their streams end (a battle needs its two answers' rows)."""
    answers = [
        Completion(prompt=prompt, competitor_id=c, text="", origin=Completion.Origin.LIVE)
        for c in (first, second)
    ]
    Completion.objects.bulk_create(answers)
    return answers[0], answers[1]


def _turn_start(public_id: str, turns: list[LiveTurn]) -> LiveTurnStart:
    """The two calls of the last turn, each with the conversation as its competitor saw it."""
    last = turns[-1]
    competitors = Competitor.objects.select_related("endpoint").in_bulk(
        [last.completion_a.competitor_id, last.completion_b.competitor_id]
    )
    calls = []
    for side in "ab":
        endpoint = competitors[getattr(last, f"completion_{side}").competitor_id].endpoint
        if endpoint is None:
            raise NoBattleAvailable("A competitor of this battle no longer has an endpoint.")
        messages: list[dict[str, str]] = []
        for turn in turns:
            messages.append({"role": "user", "content": turn.prompt.text})
            if turn is not last:
                answer = getattr(turn, f"completion_{side}")
                messages.append({"role": "assistant", "content": answer.text})
        calls.append(
            LiveCall(
                side=side,
                completion_id=getattr(last, f"completion_{side}_id"),
                config=endpoint_config(endpoint),
                messages=tuple(messages),
            )
        )
    return LiveTurnStart(public_id, last.number, (calls[0], calls[1]))


def live_answer_store(*, call: LiveCall, measure: AnswerMeasure) -> None:
    """Store one streamed answer whole: text, style features and identity-leak scan (the
    completion's own ``save``), first-token time, latency, tokens and, if priced, cost."""
    completion = Completion.objects.select_related("competitor__endpoint").get(
        pk=call.completion_id
    )
    _measure_store(completion, measure)


def live_turn_finish(*, public_id: str) -> None:
    """Both answers of the turn are stored: a follow-up or the vote may come."""
    LiveBattle.objects.filter(
        battle__public_id=public_id, status=LiveBattle.Status.STREAMING
    ).update(status=LiveBattle.Status.READY, updated_at=timezone.now())


@transaction.atomic
def live_battle_void(*, public_id: str, reason: str) -> bool:
    """Void a battle that has no vote: nothing of it is counted, and its expiry moves to its
    creation so that no write path takes a vote on it. False if it was voted or voided."""
    live = (
        LiveBattle.objects.select_for_update()
        .select_related("battle")
        .filter(battle__public_id=public_id)
        .first()
    )
    if live is None or live.status in {LiveBattle.Status.VOTED, LiveBattle.Status.VOIDED}:
        return False
    if Vote.objects.filter(battle_id=live.battle_id).exists():
        return False
    live.status, live.void_reason = LiveBattle.Status.VOIDED, (reason or "voided")[:500]
    live.save(update_fields=["status", "void_reason", "updated_at"])
    Battle.objects.filter(pk=live.battle_id).update(expires_at=live.battle.created_at)
    return True


@transaction.atomic
def live_vote(
    *,
    public_id: str,
    voter: Voter,
    outcome: Outcome,
    cut: dict[int, AnswerMeasure] | None = None,
) -> Vote:
    """The voter's verdict, through ``vote_record``; refused on a voided battle.

    ``cut`` holds the answers the vote cut off while they streamed, by completion id: they
    are stored as far as the voter saw them. A later turn's answer that reveals its
    competitor marks the vote as the first turn's would (``vote_record`` sees only those).
    """
    live = _locked(selectors.live_battle_get_for_voter(public_id=public_id, voter=voter))
    turns = selectors.live_turns(live)
    for turn in turns:
        for completion in (turn.completion_a, turn.completion_b):
            if cut and completion.pk in cut and live.status == LiveBattle.Status.STREAMING:
                _measure_store(completion, cut[completion.pk])
    vote = vote_record(public_id=public_id, voter=voter, outcome=outcome)
    leaking = any(
        c.identity_leak and not c.leak_allowed
        for turn in selectors.live_turns(live)
        for c in (turn.completion_a, turn.completion_b)
    )
    if leaking and not vote.identity_revealed:
        Vote.objects.filter(pk=vote.pk).update(identity_revealed=True)
        vote.identity_revealed = True
    live.status = LiveBattle.Status.VOTED
    live.save(update_fields=["status", "updated_at"])
    return vote


def _measure_store(completion: Completion, measure: AnswerMeasure) -> None:
    completion.text = measure.text
    completion.first_token_ms = measure.first_token_ms
    completion.latency_ms = measure.latency_ms
    completion.output_tokens = measure.output_tokens
    endpoint = completion.competitor.endpoint
    if endpoint is not None and endpoint.usd_per_million_output is not None:
        completion.cost_usd = measure.output_tokens * endpoint.usd_per_million_output / 1e6
    completion.save()
