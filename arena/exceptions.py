"""Errors the arena's services raise; views and the API map each to a 4xx with its message."""

from __future__ import annotations


class ArenaError(Exception):
    """A request the arena refuses. ``status`` is the HTTP status, ``code`` a stable name."""

    status = 400
    code = "invalid"
    default_message = "The request was refused."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class BattleNotFound(ArenaError):
    status = 404
    code = "battle_not_found"
    default_message = "No battle with that id was served to you."


class BattleExpired(ArenaError):
    status = 410
    code = "battle_expired"
    default_message = "This battle has expired; votes are accepted only until it expires."


class AlreadyVoted(ArenaError):
    status = 409
    code = "already_voted"
    default_message = "This battle already has a vote; each battle takes exactly one."


class InvalidOutcome(ArenaError):
    status = 400
    code = "invalid_outcome"
    default_message = "The outcome must be one of A, B, TIE or BOTH_BAD."


class NoBattleAvailable(ArenaError):
    status = 503
    code = "no_battle_available"
    default_message = (
        "No battle can be made: the arena needs a prompt answered by at least two active "
        "competitors."
    )


class ArenaNotFound(ArenaError):
    status = 404
    code = "arena_not_found"
    default_message = "No arena with that name is available to you."


class VotingNotAllowed(ArenaError):
    status = 403
    code = "voting_not_allowed"
    default_message = "You may not vote in this arena."


class VoteCapReached(ArenaError):
    status = 429
    code = "vote_cap_reached"
    default_message = "You have reached this arena's daily vote limit; come back tomorrow."


class InvalidFeedback(ArenaError):
    status = 400
    code = "invalid_feedback"
    default_message = "That feedback cannot be recorded."


class CompetitorNotFound(ArenaError):
    status = 404
    code = "competitor_not_found"
    default_message = "No competitor with that name."


class InvalidApiKey(ArenaError):
    status = 401
    code = "invalid_api_key"
    default_message = (
        "The API key is missing, wrong or revoked; send it as `Authorization: Bearer KEY`."
    )


class ScopeMissing(ArenaError):
    status = 403
    code = "scope_missing"
    default_message = "This API key lacks the scope this endpoint needs."


class IdempotencyKeyReused(ArenaError):
    # 409: the request conflicts with the one that key already stands for (the body is valid).
    status = 409
    code = "idempotency_key_reused"
    default_message = (
        "This Idempotency-Key was already used for a different request; use a new key for a "
        "new request."
    )


class IdempotencyKeyInProgress(ArenaError):
    status = 409
    code = "idempotency_key_in_progress"
    default_message = (
        "A request with this Idempotency-Key is being processed; retry it in a moment to get "
        "its result."
    )


class PromptSetNotFound(ArenaError):
    status = 404
    code = "prompt_set_not_found"
    default_message = "No prompt set with that name in this arena."


class InvalidRequest(ArenaError):
    status = 400
    code = "invalid_request"
    default_message = "The request is malformed."


class BatchItemInvalid(ArenaError):
    """One item of a batch was refused; nothing of the batch was recorded."""

    code = "batch_item_invalid"

    def __init__(self, index: int, error: ArenaError) -> None:
        self.index = index
        self.item_code = error.code
        self.status = error.status
        super().__init__(f"Item {index} was refused, so nothing was recorded: {error.message}")

    @property
    def extra(self) -> dict[str, object]:
        return {"index": self.index, "item_code": self.item_code}


class InvalidPrompt(ArenaError):
    status = 400
    code = "invalid_prompt"
    default_message = "Write a prompt first."


class PromptRefused(ArenaError):
    status = 422
    code = "prompt_refused"
    default_message = "This arena does not accept that prompt; please rephrase it."


class OwnPromptsOff(ArenaError):
    status = 403
    code = "own_prompts_off"
    default_message = "This arena serves its own prompts only; it does not take yours."


class BattleVoided(ArenaError):
    status = 410
    code = "battle_voided"
    default_message = (
        "This battle was voided (an answer failed or was cut short) and takes no vote; a new "
        "pair is offered."
    )


class TurnRefused(ArenaError):
    status = 409
    code = "turn_refused"
    default_message = "A follow-up waits for both answers, before the vote."


class ImportReferenceMissing(ArenaError):
    status = 409
    code = "import_reference_missing"
    default_message = (
        "A row the import refers to was deleted while it ran: nothing was imported; import the "
        "file again."
    )
