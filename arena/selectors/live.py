"""Reads for own-prompt battles: who can answer live, a voter's live battle, its turns."""

from __future__ import annotations

from arena.exceptions import BattleNotFound
from arena.models import Arena, Competitor, LiveBattle, LiveTurn
from arena.selectors.battles import battle_get_for_voter
from arena.voters import Voter


def live_competitor_ids(arena: Arena) -> list[int]:
    """The arena's active competitors that have an endpoint: those a live battle may draw."""
    return list(
        Competitor.objects.filter(arenas=arena, is_active=True, endpoint__isnull=False)
        .order_by("id")
        .values_list("id", flat=True)
    )


def live_battle_get_for_voter(*, public_id: str, voter: Voter) -> LiveBattle:
    """The live battle with that id if it was served to this voter; otherwise BattleNotFound."""
    battle = battle_get_for_voter(public_id=public_id, voter=voter)
    live = LiveBattle.objects.filter(battle=battle).first()
    if live is None:
        raise BattleNotFound
    live.battle = battle
    return live


def live_turns(live: LiveBattle, *, lock: bool = False) -> list[LiveTurn]:
    """The battle's turns in order, with their prompts and both answers (and endpoints)."""
    turns = LiveTurn.objects.filter(live=live).select_related(
        "prompt",
        "completion_a__competitor__endpoint",
        "completion_b__competitor__endpoint",
    )
    if lock:
        turns = turns.select_for_update(of=("self",))
    return list(turns.order_by("number"))
