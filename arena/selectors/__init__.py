"""Read paths of the arena: every query the views and services run to look things up.

One module a concern; everything is re-exported here, so callers import ``arena.selectors``.
"""

from __future__ import annotations

from arena.selectors.arenas import (
    api_key_get_active,
    arena_get_default,
    arena_get_for_viewer,
    arena_list_for_viewer,
    arena_list_public,
)
from arena.selectors.battles import (
    LockedBattle,
    arenas_by_id,
    battle_get_for_voter,
    battles_lock_for_judge,
    battles_revealing_identity,
    battles_voted,
    battles_with_content,
    competitor_ids_for_arena,
    completions_for_pairing,
    matchups_for_jury,
    pair_vote_counts,
    prompt_set_get_for_arena,
)
from arena.selectors.boards import (
    LeaderboardRow,
    TagRate,
    leaderboard_rows,
    tag_leaders,
    tag_rates,
    wilson_interval,
)
from arena.selectors.judges import (
    HistoryRow,
    JudgeAgreement,
    competitor_history,
    judge_agreement,
    submissions_for_user,
)
from arena.selectors.scopes import (
    FLAGGING_FIELDS,
    VOTE_ROW_FIELDS,
    crowd_votes_for_flagging,
    scope_watermark,
    vote_rows_in_scope,
    voter_flags_list,
    voter_flags_version,
    votes_in_scope,
)
from arena.selectors.votes import (
    WINNER_NAMES,
    VoteScope,
    competitor_names_for_arena,
    vote_export_rows,
    vote_history_for_user,
    vote_outcomes_for_arena,
    votes_list,
)

__all__ = [
    "FLAGGING_FIELDS",
    "VOTE_ROW_FIELDS",
    "WINNER_NAMES",
    "HistoryRow",
    "JudgeAgreement",
    "LeaderboardRow",
    "LockedBattle",
    "TagRate",
    "VoteScope",
    "api_key_get_active",
    "arena_get_default",
    "arena_get_for_viewer",
    "arena_list_for_viewer",
    "arena_list_public",
    "arenas_by_id",
    "battle_get_for_voter",
    "battles_lock_for_judge",
    "battles_revealing_identity",
    "battles_voted",
    "battles_with_content",
    "competitor_history",
    "competitor_ids_for_arena",
    "competitor_names_for_arena",
    "completions_for_pairing",
    "crowd_votes_for_flagging",
    "judge_agreement",
    "leaderboard_rows",
    "matchups_for_jury",
    "pair_vote_counts",
    "prompt_set_get_for_arena",
    "scope_watermark",
    "submissions_for_user",
    "tag_leaders",
    "tag_rates",
    "vote_export_rows",
    "vote_history_for_user",
    "vote_outcomes_for_arena",
    "vote_rows_in_scope",
    "voter_flags_list",
    "voter_flags_version",
    "votes_in_scope",
    "votes_list",
    "wilson_interval",
]
