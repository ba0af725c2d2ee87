"""The arena's data model; each module holds one part of it."""

from __future__ import annotations

from arena.models.api_keys import ApiKey, IdempotencyRecord, key_hash
from arena.models.arenas import (
    DEFAULT_FEEDBACK_TAGS,
    Arena,
    PairingPolicy,
    PromptMode,
    PromptSet,
    VoterGroup,
)
from arena.models.battles import Battle
from arena.models.competitors import Competitor, Judge
from arena.models.endpoints import Endpoint, GenerationJob, JudgeCall, JudgeTemplate, JudgingPolicy
from arena.models.live import LiveBattle, LiveTurn
from arena.models.pairing import (
    AnswersVersion,
    CompetitorStrength,
    PairVoteCount,
    ScopeVoteCount,
)
from arena.models.prompts import Completion, CompletionDistance, Prompt, content_hash
from arena.models.users import User
from arena.models.votes import Outcome, Vote, VoterFlag, VoteTag

__all__ = [
    "DEFAULT_FEEDBACK_TAGS",
    "AnswersVersion",
    "ApiKey",
    "Arena",
    "Battle",
    "Competitor",
    "CompetitorStrength",
    "Completion",
    "CompletionDistance",
    "Endpoint",
    "GenerationJob",
    "IdempotencyRecord",
    "Judge",
    "JudgeCall",
    "JudgeTemplate",
    "JudgingPolicy",
    "LiveBattle",
    "LiveTurn",
    "Outcome",
    "PairVoteCount",
    "PairingPolicy",
    "Prompt",
    "PromptMode",
    "PromptSet",
    "ScopeVoteCount",
    "User",
    "Vote",
    "VoteTag",
    "VoterFlag",
    "VoterGroup",
    "content_hash",
    "key_hash",
]
