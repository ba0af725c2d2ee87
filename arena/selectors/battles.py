"""Battles: the one served to a voter, what pairing and juries need."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Count, Q

from arena.access import can_view
from arena.exceptions import (
    BattleNotFound,
    CompetitorNotFound,
    PromptSetNotFound,
)
from arena.models import (
    Arena,
    Battle,
    Completion,
    CompletionDistance,
    Judge,
    Outcome,
    PromptSet,
    User,
    Vote,
)
from arena.voters import Voter


def battle_get_for_voter(*, public_id: str, voter: Voter) -> Battle:
    """The battle with that id if it was served to this voter; otherwise BattleNotFound.

    Someone else's battle and a made-up id get the same answer, so ids cannot be probed.
    """
    battles = Battle.objects.select_related(
        "arena", "prompt", "competitor_a", "competitor_b", "completion_a", "completion_b"
    )
    battles = battles.exclude(origin=Battle.Origin.IMPORT)
    if voter.judge is not None:
        battles = battles.filter(judge=voter.judge)
    elif voter.user is not None:
        battles = battles.filter(user=voter.user)
    else:
        battles = battles.filter(session_key=voter.session_key, user__isnull=True)
    # No ORDER BY: the public id is unique, and ordering could lead the planner off its index.
    battle = next(iter(battles.filter(public_id=public_id).order_by()[:1]), None)
    if battle is None:
        raise BattleNotFound
    return battle


def battle_result_get(*, public_id: str, user: User | AnonymousUser | None) -> Battle:
    """A crowd battle that has its vote, with the vote, for its result page; else BattleNotFound.

    The result page is the battle's permalink: anyone who may see the arena may open it, but only
    once the vote is in (an unvoted battle, a judge's or an imported one, and one of a private
    arena this user may not see all get the answer a made-up id gets).
    """
    battle = next(
        iter(
            Battle.objects.select_related(
                "arena",
                "prompt",
                "competitor_a",
                "competitor_b",
                "completion_a",
                "completion_b",
                "vote",
            )
            .filter(public_id=public_id, origin=Battle.Origin.CROWD, vote__isnull=False)
            .order_by()[:1]
        ),
        None,
    )
    if battle is None or not can_view(battle.arena, user):
        raise BattleNotFound
    return battle


def battle_served_to(battle: Battle, voter: Voter) -> bool:
    """Whether this browser (or account) is the one the battle was served to."""
    if voter.user is not None:
        return battle.user_id == voter.user.pk
    return (
        battle.user_id is None
        and bool(voter.session_key)
        and (battle.session_key == voter.session_key)
    )


@dataclass(frozen=True, slots=True)
class SessionHistory:
    """What one person was shown lately in an arena, so that the next battles vary."""

    prompt_ids: frozenset[int]
    #: Battles in which each competitor appeared.
    appearances: dict[int, int]
    n_served: int


#: A session's history reads at most this many of its newest battles.
SESSION_HISTORY_LIMIT = 500


def voter_session_history(*, arena: Arena, voter: Voter, since: datetime) -> SessionHistory | None:
    """The battles of ``arena`` served to this person since ``since``; None for a judge.

    Judges are served what the policy wants: a jury or an evaluation covers prompts again on
    purpose. One indexed query (a user's or a session's battles), newest first, capped.
    """
    if voter.judge is not None:
        return None
    battles = Battle.objects.filter(arena=arena, created_at__gte=since)
    if voter.user is not None:
        battles = battles.filter(user=voter.user)
    else:
        battles = battles.filter(session_key=voter.session_key, user__isnull=True)
    rows = list(
        battles.order_by("-id").values_list("prompt_id", "competitor_a_id", "competitor_b_id")[
            :SESSION_HISTORY_LIMIT
        ]
    )
    appearances: dict[int, int] = defaultdict(int)
    for _, a, b in rows:
        appearances[a] += 1
        appearances[b] += 1
    return SessionHistory(
        prompt_ids=frozenset(p for p, _, _ in rows),
        appearances=dict(appearances),
        n_served=len(rows),
    )


def battle_lock_for_vote(*, public_id: str, voter: Voter) -> Battle:
    """The battle served to this voter, its row locked, for ``vote_record``; else BattleNotFound.

    One plain SQL statement, because this is on the path of every vote and compiling the ORM's
    joins cost more than running them. The battle carries only the columns a vote needs, plus
    ``vote_pk`` (its vote's id, or None) and ``revealed`` (whether an answer names its
    competitor); other fields load on access. Same refusals as :func:`battle_get_for_voter`.
    """
    params: list[object]
    if voter.judge is not None:
        owner, params = "b.judge_id = %s", [voter.judge.pk]
    elif voter.user is not None:
        owner, params = "b.user_id = %s", [voter.user.pk]
    else:
        owner, params = "b.session_key = %s AND b.user_id IS NULL", [voter.session_key]
    lock = " FOR UPDATE OF b" if connection.features.has_select_for_update_of else ""
    sql = _LOCK_FOR_VOTE.format(owner=owner, lock=lock)
    rows = Battle.objects.raw(sql, [Battle.Origin.IMPORT.value, public_id, *params])
    battle = next(iter(rows), None)
    if battle is None:
        raise BattleNotFound
    return battle


# completion_a and completion_b may be NULL (imported battles); COALESCE keeps the flag boolean.
_LOCK_FOR_VOTE = (
    "SELECT b.id, b.public_id, b.arena_id, b.expires_at, v.id AS vote_pk, "  # noqa: S608
    "COALESCE(ca.identity_leak, '') <> '' OR COALESCE(cb.identity_leak, '') <> '' AS revealed "
    f"FROM {Battle._meta.db_table} b "
    f"LEFT JOIN {Vote._meta.db_table} v ON v.battle_id = b.id "
    f"LEFT JOIN {Completion._meta.db_table} ca ON ca.id = b.completion_a_id "
    f"LEFT JOIN {Completion._meta.db_table} cb ON cb.id = b.completion_b_id "
    "WHERE b.origin <> %s AND b.public_id = %s AND {owner}{lock}"
)


@dataclass(frozen=True, slots=True)
class LockedBattle:
    pk: int
    arena_id: int
    expires_at: datetime


def battles_revealing_identity(battle_ids: Collection[int]) -> set[int]:
    """Those of the battles that show an answer revealing its competitor."""
    return set(
        Battle.objects.filter(pk__in=list(battle_ids))
        .filter(~Q(completion_a__identity_leak="") | ~Q(completion_b__identity_leak=""))
        .values_list("id", flat=True)
    )


def battles_lock_for_judge(*, judge: Judge, public_ids: list[str]) -> dict[str, LockedBattle]:
    """The battles with those ids served to this judge, locked in id order, by public id."""
    rows = (
        Battle.objects.select_for_update()
        .filter(judge=judge, public_id__in=public_ids)
        .exclude(origin=Battle.Origin.IMPORT)
        .order_by("id")
        .values_list("public_id", "id", "arena_id", "expires_at")
    )
    return {row[0]: LockedBattle(*row[1:]) for row in rows}


def matchups_for_jury(
    *, arena: Arena, judge: Judge, count: int
) -> list[tuple[int, int, int, int, int]]:
    """Voted battles of the arena (newest first) whose prompt and pair this judge has not had.

    Rows: ``(prompt, competitor A, competitor B, completion A, completion B)``.
    """
    seen = {
        (p, min(a, b), max(a, b))
        for p, a, b in Battle.objects.filter(arena=arena, judge=judge).values_list(
            "prompt_id", "competitor_a_id", "competitor_b_id"
        )
    }
    rows = (
        Battle.objects.filter(arena=arena, vote__isnull=False, completion_a__isnull=False)
        .exclude(judge=judge)
        .order_by("-id")
        .values_list(
            "prompt_id", "competitor_a_id", "competitor_b_id", "completion_a_id", "completion_b_id"
        )
    )
    matchups = []
    for row in rows.iterator(chunk_size=1000):
        key = (row[0], min(row[1], row[2]), max(row[1], row[2]))
        if key not in seen:
            seen.add(key)
            matchups.append(row)
            if len(matchups) == count:
                break
    return matchups


def twins_for_judge(
    *, arena: Arena, judge: Judge, count: int, window: int = 20
) -> list[tuple[int, int, int, int, int]]:
    """Swapped twins of this judge's recent voted battles that it has not been served yet.

    Rows: ``(prompt, competitor A, competitor B, completion A, completion B)`` of the twin, the
    original's B shown first. Only the newest ``count × window`` voted battles are looked at, so
    the cost does not grow with the judge's history.
    """
    recent = list(
        Battle.objects.filter(
            arena=arena, judge=judge, vote__isnull=False, completion_a__isnull=False
        )
        .order_by("-id")
        .values_list(
            "prompt_id", "competitor_b_id", "competitor_a_id", "completion_b_id", "completion_a_id"
        )[: count * window]
    )
    shown = set(
        Battle.objects.filter(
            arena=arena, judge=judge, prompt_id__in={row[0] for row in recent}
        ).values_list("prompt_id", "competitor_a_id", "competitor_b_id")
    )
    twins = []
    for row in recent:
        if row[:3] not in shown:
            shown.add(row[:3])
            twins.append(row)
            if len(twins) == count:
                break
    return twins


def completions_have_costs(completion_ids: list[int]) -> bool:
    """Whether both completions carry a cost (energy, output tokens or latency) to show."""
    if len(completion_ids) != 2:  # noqa: PLR2004 - the two answers of a battle
        return False
    with_cost = Completion.objects.filter(pk__in=completion_ids).filter(
        Q(energy_wh__isnull=False) | Q(output_tokens__isnull=False) | Q(latency_ms__isnull=False)
    )
    return with_cost.count() == 2  # noqa: PLR2004


def battles_voted(battle_ids: list[int]) -> set[int]:
    """Which of these battles already have their vote."""
    return set(Vote.objects.filter(battle_id__in=battle_ids).values_list("battle_id", flat=True))


def arenas_by_id(ids: Collection[int]) -> list[Arena]:
    return list(Arena.objects.filter(pk__in=ids))


def battles_with_content(ids: list[int]) -> list[Battle]:
    """Battles with their prompt and both completions, in id order, for serving them."""
    return list(
        Battle.objects.select_related("prompt", "completion_a", "completion_b")
        .filter(pk__in=ids)
        .order_by("id")
    )


def completion_ids_for(
    *, competitor_ids: Collection[int], prompt_ids: Collection[int]
) -> dict[tuple[int, int], int]:
    """The answers that can be shown in a battle, by ``(prompt id, competitor id)``."""
    rows = Completion.objects.filter(
        Q(identity_leak="") | Q(leak_allowed=True),
        competitor_id__in=list(competitor_ids),
        prompt_id__in=list(prompt_ids),
    ).values_list("prompt_id", "competitor_id", "id")
    return {(prompt, competitor): completion for prompt, competitor, completion in rows}


def completion_distances(pairs: Collection[tuple[int, int]]) -> dict[tuple[int, int], float]:
    """The stored dissimilarities of these pairs of answers (smaller id first)."""
    wanted = set(pairs)
    if not wanted:
        return {}
    firsts = {a for a, _ in wanted}
    seconds = {b for _, b in wanted}
    rows = CompletionDistance.objects.filter(
        first_id__in=list(firsts), second_id__in=list(seconds)
    ).values_list("first_id", "second_id", "dissimilarity")
    return {(a, b): d for a, b, d in rows if (a, b) in wanted}


def completion_ids_by_prompt(prompt_ids: Collection[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    rows = Completion.objects.filter(prompt_id__in=list(prompt_ids)).values_list("prompt_id", "id")
    for prompt_id, completion_id in rows:
        out[prompt_id].append(completion_id)
    return out


def completion_texts(ids: Collection[int]) -> dict[int, str]:
    return dict(Completion.objects.filter(pk__in=list(ids)).values_list("id", "text"))


def prompt_outcome_counts(arena: Arena, prompt_ids: Collection[int]) -> dict[int, tuple[int, int]]:
    """Per prompt of the arena: (ties and both-bad verdicts, votes) so far, any pair."""
    rows = (
        Vote.objects.filter(battle__arena=arena, battle__prompt_id__in=list(prompt_ids))
        .values_list("battle__prompt_id")
        .annotate(
            undecided=Count("id", filter=Q(outcome__in=[Outcome.TIE, Outcome.BOTH_BAD])),
            n=Count("id"),
        )
    )
    return {prompt_id: (undecided, n) for prompt_id, undecided, n in rows}


def completions_for_pairing(
    arena: Arena,
    *,
    prompt_set: PromptSet | None = None,
    category: str | None = None,
    competitor_ids: Collection[int] | None = None,
) -> dict[int, dict[int, int]]:
    """For each active competitor of the arena, the arena's prompts it answered.

    Shape: ``{competitor id: {prompt id: completion id}}``. The judge API narrows it to one of
    the arena's prompt sets, one prompt category or some competitors.
    """
    answered: dict[int, dict[int, int]] = defaultdict(dict)
    rows = Completion.objects.filter(
        Q(identity_leak="") | Q(leak_allowed=True),  # an answer naming its author unmasks it
        competitor__is_active=True,
        competitor__arenas=arena,
        prompt__prompt_sets__arenas=arena,
    )
    if prompt_set is not None:
        rows = rows.filter(prompt__prompt_sets=prompt_set)
    if category is not None:
        rows = rows.filter(prompt__category=category)
    if competitor_ids is not None:
        rows = rows.filter(competitor_id__in=competitor_ids)
    for competitor_id, prompt_id, completion_id in rows.values_list(
        "competitor_id", "prompt_id", "id"
    ).distinct():
        answered[competitor_id][prompt_id] = completion_id
    return answered


def prompt_set_get_for_arena(arena: Arena, name: str, version: int | None = None) -> PromptSet:
    """One of the arena's prompt sets by name (its latest version unless given)."""
    sets = arena.prompt_sets.filter(name=name).order_by("-version")
    if version is not None:
        sets = sets.filter(version=version)
    prompt_set = sets.first()
    if prompt_set is None:
        raise PromptSetNotFound(f"The arena {arena.slug!r} has no prompt set {name!r}.")
    return prompt_set


def competitor_ids_for_arena(arena: Arena, names: Collection[str]) -> list[int]:
    """The ids of the arena's competitors with those names (any case); CompetitorNotFound (404,
    naming the missing ones) if not: the request was well formed, what it names is absent."""
    found = {
        name.lower(): pk
        for pk, name in arena.competitors.filter(
            name__iregex=r"^(" + "|".join(re.escape(n) for n in names) + r")$"
        ).values_list("id", "name")
    }
    missing = [n for n in names if n.lower() not in found]
    if missing:
        raise CompetitorNotFound(
            f"No competitor named {', '.join(map(repr, missing))} in this arena."
        )
    return [found[n.lower()] for n in names]
