"""Judges run by the platform: an endpoint and a template judge battles in both positions.

A judging policy says which battles of an arena its judge judges: battles drawn for it by the
arena's pairing policy up to a budget of calls, or copies of the crowd's new battles (every one,
or a sample). Each battle is judged twice, once in each screen order, as two battles served to
the judge (the twin pairs are what the judge report's position consistency reads). Verdicts are
recorded by ``vote_record``, the write path of the judge API and the crowd.

Work is claimed before it is done, with conditional updates (rule 7): a run reserves its calls
against the budget, or advances the policy's crowd-battle watermark, so two runs of one policy
never judge the same battles nor overshoot the budget.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from celery import current_app
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import F, Q

from arena import selectors
from arena.exceptions import ArenaError
from arena.judge_prompts import BUILTIN
from arena.models import Battle, JudgeCall, JudgeTemplate, JudgingPolicy, Outcome
from arena.services.battles import battles_serve, battles_serve_matchups
from arena.services.endpoints import ChatResult, EndpointError, chat_many, endpoint_config
from arena.services.votes import vote_record
from arena.voters import Voter

logger = logging.getLogger(__name__)

JUDGING_RUN = "arena.judging_run"
#: One call in each position.
CALLS_PER_BATTLE = 2

#: The verdict labels of each scale, and the outcome each means for the answer shown as A.
#: arena-hard-auto also reads the reversed spellings (``A<B``), so these do too.
VERDICTS: dict[str, dict[str, Outcome]] = {
    JudgeTemplate.Scale.FIVE: {
        "A>>B": Outcome.A,
        "A>B": Outcome.A,
        "B<A": Outcome.A,
        "B<<A": Outcome.A,
        "A=B": Outcome.TIE,
        "B=A": Outcome.TIE,
        "B>A": Outcome.B,
        "B>>A": Outcome.B,
        "A<B": Outcome.B,
        "A<<B": Outcome.B,
    },
    JudgeTemplate.Scale.THREE: {"A": Outcome.A, "B": Outcome.B, "C": Outcome.TIE},
}
_LABEL = re.compile(r"\[\[([AB<>=C]+)\]\]")


def verdict_parse(text: str, scale: str) -> str | None:
    """The verdict label in a judge's answer, or None when it has none or several different
    ones (arena-hard-auto's rule: a judge that names two verdicts named none)."""
    labels = {m for m in _LABEL.findall(text) if m in VERDICTS[scale]}
    return labels.pop() if len(labels) == 1 else None


def judge_messages(
    template: JudgeTemplate, *, question: str, answer_a: str, answer_b: str
) -> list[dict[str, str]]:
    user = template.user_template.format_map(
        {"question": question, "answer_a": answer_a, "answer_b": answer_b}
    )
    return [
        {"role": "system", "content": template.system_prompt},
        {"role": "user", "content": user},
    ]


@dataclass(frozen=True, slots=True)
class Judgement:
    """What came of asking the judge about one battle: its label, or why there is none."""

    verdict: str | None
    text: str
    attempts: int
    latency_ms: int | None
    error: str = ""


def judge_templates_builtin_ensure(*, using: str = DEFAULT_DB_ALIAS) -> list[JudgeTemplate]:
    """The built-in templates, created if missing (the migration creates them; a database
    flushed since, or an operator's deletion, needs them again); edited ones are kept."""
    return [
        JudgeTemplate.objects.using(using).get_or_create(
            name=name,
            defaults={
                "system_prompt": system,
                "user_template": user,
                "scale": scale,
                "is_builtin": True,
            },
        )[0]
        for name, (system, user, scale) in BUILTIN.items()
    ]


def judging_start(*, judging_id: int) -> None:
    """Queue a run of the policy (the admin's "judge now"), sent when the transaction commits."""
    _enqueue_on_commit(judging_id)


def judgings_check() -> list[int]:
    """Queue a run for each active crowd-following policy with new crowd battles (celery beat)."""
    ids = []
    for judging in JudgingPolicy.objects.filter(
        is_active=True, mode__in=[JudgingPolicy.Mode.EVERY, JudgingPolicy.Mode.SAMPLE]
    ).select_related("arena"):
        if selectors.crowd_battles_after(
            arena=judging.arena, after_id=judging.last_battle_id, limit=1
        ):
            _enqueue_on_commit(judging.pk)
            ids.append(judging.pk)
    return ids


def judging_run(*, judging_id: int, batch_size: int) -> bool:
    """Judge up to ``batch_size`` battles in both positions; True when there is more to do."""
    judging = JudgingPolicy.objects.select_related(
        "arena", "judge__endpoint", "judge__template"
    ).get(pk=judging_id)
    judge = judging.judge
    if not judging.is_active or judge.endpoint is None or judge.template is None:
        return False
    voter = Voter(judge=judge)
    battles, more = _battles_claim(judging, voter, batch_size)
    if not battles:
        return False
    battles = selectors.battles_for_judging([b.pk for b in battles])
    judgements = _judge(judging, battles)
    for battle, judgement in zip(battles, judgements, strict=True):
        _judgement_record(judging, voter, battle, judgement)
    return more


def _battles_claim(
    judging: JudgingPolicy, voter: Voter, batch_size: int
) -> tuple[list[Battle], bool]:
    """This run's battles, both positions of each, claimed; and whether more remain after."""
    if judging.mode == JudgingPolicy.Mode.BUDGET:
        left = judging.budget_calls - judging.calls_made
        n = min(batch_size, left // 2)
        if n <= 0 or not _calls_reserve(judging, 2 * n):
            return [], False
        try:
            first = battles_serve(arena=judging.arena, voter=voter, count=n)
        except ArenaError:
            first = []
        if len(first) < n:  # fewer pairs to draw than reserved: give the rest back
            unused = 2 * (n - len(first))
            JudgingPolicy.objects.filter(pk=judging.pk).update(calls_made=F("calls_made") - unused)
        more = bool(first) and left - CALLS_PER_BATTLE * len(first) >= CALLS_PER_BATTLE
        return _with_twins(judging, voter, first), more
    crowd = selectors.crowd_battles_after(
        arena=judging.arena, after_id=judging.last_battle_id, limit=batch_size
    )
    if not crowd or not _watermark_advance(judging, crowd[-1].pk):
        return [], False
    chosen = [b for b in crowd if _sampled(judging, b)]
    if judging.budget_calls:
        room = max(judging.budget_calls - judging.calls_made, 0) // 2
        chosen = chosen[:room]
        if chosen and not _calls_reserve(judging, 2 * len(chosen)):
            return [], False
    first = battles_serve_matchups(
        arena=judging.arena,
        voter=voter,
        matchups=[
            (
                b.prompt_id,
                b.competitor_a_id,
                b.competitor_b_id,
                b.completion_a_id,
                b.completion_b_id,
            )
            for b in chosen
            if b.completion_a_id is not None and b.completion_b_id is not None
        ],
    )
    return _with_twins(judging, voter, first), len(crowd) == batch_size


def _with_twins(judging: JudgingPolicy, voter: Voter, first: list[Battle]) -> list[Battle]:
    """The battles and, for each, its twin with the two answers' positions swapped."""
    twins = battles_serve_matchups(
        arena=judging.arena,
        voter=voter,
        matchups=[
            (
                b.prompt_id,
                b.competitor_b_id,
                b.competitor_a_id,
                b.completion_b_id,
                b.completion_a_id,
            )  # type: ignore[misc]
            for b in first
        ],
    )
    return [*first, *twins]


def _calls_reserve(judging: JudgingPolicy, n: int) -> bool:
    """Reserve ``n`` calls of the budget, unless another run took them first."""
    claimed = JudgingPolicy.objects.filter(
        Q(budget_calls=0) | Q(calls_made__lte=F("budget_calls") - n), pk=judging.pk
    ).update(calls_made=F("calls_made") + n)
    return bool(claimed)


def _watermark_advance(judging: JudgingPolicy, to: int) -> bool:
    claimed = JudgingPolicy.objects.filter(
        pk=judging.pk, last_battle_id=judging.last_battle_id
    ).update(last_battle_id=to)
    return bool(claimed)


def _sampled(judging: JudgingPolicy, battle: Battle) -> bool:
    """Every battle, or a fixed share of them chosen by a hash of its public id (so a run
    repeated after a crash samples the same ones)."""
    if judging.mode == JudgingPolicy.Mode.EVERY:
        return True
    digest = hashlib.sha256(battle.public_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < judging.sample_share


def _judge(judging: JudgingPolicy, battles: Sequence[Battle]) -> list[Judgement]:
    """Ask the judge about each battle; an answer with no verdict, or a failed call, is asked
    again, up to ARENA_JUDGING_ATTEMPTS calls in all."""
    judge = judging.judge
    assert judge.endpoint is not None  # noqa: S101 (checked by the caller)
    assert judge.template is not None  # noqa: S101
    config, template = endpoint_config(judge.endpoint), judge.template
    talks = [
        judge_messages(
            template,
            question=b.prompt.text,
            answer_a=b.completion_a.text if b.completion_a else "",
            answer_b=b.completion_b.text if b.completion_b else "",
        )
        for b in battles
    ]
    found: dict[int, Judgement] = {}
    pending = list(range(len(battles)))
    for attempt in range(1, max(settings.ARENA_JUDGING_ATTEMPTS, 1) + 1):
        results = chat_many(config, [talks[i] for i in pending])
        for i, result in zip(pending, results, strict=True):
            found[i] = _judgement_of(result, template.scale, attempt)
        pending = [i for i in pending if found[i].verdict is None]
        if not pending:
            break
    return [found[i] for i in range(len(battles))]


def _judgement_of(result: ChatResult | EndpointError, scale: str, attempt: int) -> Judgement:
    if isinstance(result, EndpointError):
        return Judgement(None, "", attempt, None, error=str(result))
    return Judgement(verdict_parse(result.text, scale), result.text, attempt, result.latency_ms)


@transaction.atomic
def _judgement_record(
    judging: JudgingPolicy, voter: Voter, battle: Battle, judgement: Judgement
) -> None:
    """The call's record and, with a verdict, the judge's vote through ``vote_record``."""
    if judgement.verdict is None:
        status = JudgeCall.Status.FAILED if judgement.error else JudgeCall.Status.UNPARSEABLE
    else:
        status = JudgeCall.Status.VOTED
    call = JudgeCall.objects.create(
        judging=judging,
        battle=battle,
        status=status,
        verdict=judgement.verdict or "",
        attempts=judgement.attempts,
        text=judgement.text or judgement.error,
        latency_ms=judgement.latency_ms,
    )
    if judgement.verdict is None:
        return
    scale = judging.judge.template.scale  # type: ignore[union-attr]
    try:
        vote_record(
            public_id=battle.public_id,
            voter=voter,
            outcome=VERDICTS[scale][judgement.verdict],
            rationale=judgement.text,
            idempotency_key=f"platform:{battle.public_id}",
        )
    except ArenaError as error:  # expired while the judge thought: kept as a failed call
        call.status, call.text = JudgeCall.Status.FAILED, f"{error.message}\n\n{call.text}"
        call.save(update_fields=["status", "text"])


def _enqueue_on_commit(judging_id: int) -> None:
    def send() -> None:
        try:
            current_app.tasks[JUDGING_RUN].delay(judging_id)
        except Exception:  # broker down: beat (crowd modes) or the admin queues it again
            logger.warning("could not enqueue judging %s", judging_id, exc_info=True)

    transaction.on_commit(send)
