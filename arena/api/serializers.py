from __future__ import annotations

import math
import re
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from arena.exceptions import BattleNotFound, InvalidOutcome, InvalidRequest
from arena.models import Arena, Battle, Outcome, PairingPolicy
from arena.services.votes import Verdict, outcome_parse

MAX_RATIONALE_LENGTH = 10_000
MAX_BATTLES_PER_REQUEST = 100
MAX_VERDICTS_PER_BATCH = 1000
OUTCOME_NAMES = list(Outcome.names)
#: What a served battle's id looks like (URL-safe base64); anything else is not one.
BATTLE_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


class ArenaSerializer(serializers.ModelSerializer[Arena]):
    class Meta:
        model = Arena
        fields = [
            "slug",
            "name",
            "description",
            "visibility",
            "voting_rule",
            "daily_vote_cap",
            "feedback_tags",
            "is_default",
        ]


class BoardRowSerializer(serializers.Serializer[object]):
    name = serializers.CharField()
    organisation = serializers.CharField()
    votes = serializers.IntegerField()
    wins = serializers.IntegerField()
    losses = serializers.IntegerField()
    ties = serializers.IntegerField()
    both_bad = serializers.IntegerField()
    win_rate = serializers.FloatField(allow_null=True)


class ErrorSerializer(serializers.Serializer[object]):
    """The shape of every error the API returns."""

    code = serializers.CharField(help_text="A stable name for the error, e.g. battle_expired.")
    message = serializers.CharField(help_text="What went wrong and what to do about it.")


# --- judges ------------------------------------------------------------------------------------


class ClosedSerializer(serializers.Serializer[object]):
    """A request body that refuses fields it does not know (400 naming them).

    DRF ignores unknown fields by default, so a misspelt filter (``"competitor": …``) would
    serve unfiltered battles; and the schema states ``additionalProperties: false`` for every
    request body (``arena.api.schema``), which must then hold.
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(map(str, set(data) - set(self.fields)))
            if unknown:
                raise InvalidRequest(f"Unknown field(s): {', '.join(unknown)}.")
        return super().to_internal_value(data)


class BattlesRequestSerializer(ClosedSerializer):
    count = serializers.IntegerField(min_value=1, max_value=MAX_BATTLES_PER_REQUEST, default=1)
    prompt_set = serializers.CharField(
        required=False, max_length=100, help_text="Only prompts of this prompt set of the arena."
    )
    prompt_set_version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    category = serializers.CharField(required=False, max_length=100)
    competitors = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        min_length=2,
        max_length=2,
        help_text="Only battles between these two competitors.",
    )
    copies = serializers.BooleanField(
        default=False,
        help_text="For juries: copies of battles others already voted on (same prompt, answers "
        "and positions), so that judges can be compared. Other filters do not apply.",
    )
    policy = serializers.ChoiceField(
        choices=PairingPolicy.choices,
        required=False,
        help_text="The pairing policy for these battles instead of the arena's own; each battle "
        "stores the probability its pair was drawn with.",
    )


class BattleSerializer(serializers.Serializer[Battle]):
    """A battle as a judge sees it: anonymous answers in their A/B positions."""

    id = serializers.CharField(source="public_id")
    prompt = serializers.CharField(source="prompt.text")
    a = serializers.CharField(source="completion_a.text")
    b = serializers.CharField(source="completion_b.text")
    expires_at = serializers.DateTimeField()


class BattlesSerializer(serializers.Serializer[object]):
    battles = BattleSerializer(many=True)


@extend_schema_field({"type": "string", "enum": OUTCOME_NAMES})
class OutcomeField(serializers.CharField):
    pass


class VoteRequestSerializer(serializers.Serializer[object]):
    outcome = OutcomeField()
    rationale = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_RATIONALE_LENGTH
    )
    p_b = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=0.0,
        max_value=1.0,
        help_text="Optional soft label: the probability that B is better, a finite number in "
        "[0, 1]. Boards use it rather than the outcome unless they ask for hard labels.",
    )


class VoteReceiptSerializer(serializers.Serializer[object]):
    battle = serializers.CharField()
    outcome = OutcomeField()
    recorded_at = serializers.DateTimeField()


class BatchItemSerializer(VoteRequestSerializer):
    battle = serializers.CharField(help_text="The battle's id, as served.")


class BatchRequestSerializer(serializers.Serializer[object]):
    # A ListField, so that the schema states the lengths (minItems, maxItems) too.
    votes = serializers.ListField(
        child=BatchItemSerializer(), min_length=1, max_length=MAX_VERDICTS_PER_BATCH
    )


class BatchReceiptSerializer(serializers.Serializer[object]):
    recorded = serializers.IntegerField()
    recorded_at = serializers.DateTimeField(allow_null=True)


def verdict_parse(item: object, *, with_battle: bool) -> Verdict:
    """A verdict from a request body; InvalidRequest or InvalidOutcome saying what is wrong.

    Parsed by hand rather than by a serializer: a batch holds a thousand of them.
    """
    if not isinstance(item, dict):
        raise InvalidRequest("A verdict is a JSON object with outcome and rationale.")
    unknown = set(item) - {"outcome", "rationale", "battle", "p_b"}
    if unknown:
        raise InvalidRequest(f"Unknown field(s): {', '.join(sorted(map(str, unknown)))}.")
    battle: Any = item.get("battle", "") if with_battle else ""
    if with_battle and (not isinstance(battle, str) or not battle):
        raise InvalidRequest("battle: the battle's id (a string) is required.")
    if with_battle and not BATTLE_ID.fullmatch(battle):
        raise BattleNotFound
    if "outcome" not in item:
        raise InvalidRequest("outcome: required; one of A, B, TIE or BOTH_BAD.")
    outcome = item["outcome"]
    if not isinstance(outcome, str) or outcome.upper() not in OUTCOME_NAMES:
        raise InvalidOutcome
    rationale = item.get("rationale", "")
    if rationale is None:
        rationale = ""
    if (
        not isinstance(rationale, str)
        or len(rationale) > MAX_RATIONALE_LENGTH
        or "\x00" in rationale
    ):
        raise InvalidRequest(
            f"rationale: a string of at most {MAX_RATIONALE_LENGTH} characters, without NUL."
        )
    parsed = outcome_parse(outcome)
    return Verdict(
        public_id=battle,
        outcome=parsed,
        rationale=rationale,
        p_b=p_b_parse(item.get("p_b")),
    )


def p_b_parse(value: object) -> float | None:
    """A verdict's optional soft label: a finite probability in [0, 1]."""
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0.0 <= value <= 1.0
    ):
        raise InvalidRequest("p_b: a number in [0, 1], the probability that B is better.")
    # Not checked against the outcome: the two are the judge's probability and its verdict,
    # and the schema cannot state such a rule; the fits use p_b unless a board or the CLI asks
    # for hard labels.
    return float(value)


# --- model owners and readers ------------------------------------------------------------------


class SubmissionReportSerializer(serializers.Serializer[object]):
    created = serializers.DictField(child=serializers.IntegerField())
    unchanged = serializers.IntegerField(help_text="Completions that were already there.")
    null_models = serializers.ListField(
        child=serializers.CharField(),
        help_text="Competitors whose answers barely depend on the prompt: held back from public "
        "leaderboards until an operator clears them.",
    )
    identity_leaks = serializers.IntegerField(
        help_text="New completions that reveal their competitor (its name, its maker or a "
        "configured phrase): stored, but not served in anonymous battles unless an operator "
        "allows them."
    )


class SubmittedCompetitorSerializer(serializers.Serializer[object]):
    name = serializers.CharField()
    organisation = serializers.CharField()
    completions = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class SubmissionsSerializer(serializers.Serializer[object]):
    competitors = SubmittedCompetitorSerializer(many=True)
    prompts = serializers.IntegerField()
    completions = serializers.IntegerField()


class LeaderboardSerializer(serializers.Serializer[object]):
    arena = serializers.CharField()
    method = serializers.CharField(help_text="`raw`: vote counts and raw win rates.")
    rows = BoardRowSerializer(many=True)


class HistoryRowSerializer(serializers.Serializer[object]):
    voted_at = serializers.DateTimeField()
    opponent = serializers.CharField()
    position = serializers.ChoiceField(choices=["A", "B"])
    result = serializers.ChoiceField(choices=["win", "loss", "tie", "both_bad"])
    source = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.source
    judge = serializers.CharField(allow_null=True)
    category = serializers.CharField()


class HistoryQuerySerializer(serializers.Serializer[object]):
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=100)
    offset = serializers.IntegerField(min_value=0, max_value=10**9, default=0)


class ExportQuerySerializer(serializers.Serializer[object]):
    def to_internal_value(self, data: Any) -> Any:
        # DRF reads `?voter_kind=` from a query as if it were absent; the schema calls it invalid.
        names: list[str] = list(self.fields.keys())
        blank = [name for name in names if hasattr(data, "get") and data.get(name) == ""]
        if blank:
            raise serializers.ValidationError({name: ["May not be blank."] for name in blank})
        return super().to_internal_value(data)

    format = serializers.ChoiceField(choices=["jsonl", "csv"], default="jsonl")
    source = serializers.ChoiceField(  # type: ignore[assignment]  # a field named like Field.source
        choices=["crowd", "judge"], required=False
    )
    voter_kind = serializers.ChoiceField(
        choices=["anonymous", "signed_in", "group_member", "judge"], required=False
    )
    since = serializers.DateTimeField(required=False, help_text="Votes cast at or after this.")
    until = serializers.DateTimeField(required=False, help_text="Votes cast before this.")


class AgreementSerializer(serializers.Serializer[object]):
    shared = serializers.IntegerField(help_text="Battles both judged (same prompt and pair).")
    rate = serializers.FloatField(allow_null=True)
    kappa = serializers.FloatField(allow_null=True, help_text="Cohen's kappa.")


class JudgeAgreementSerializer(serializers.Serializer[object]):
    judge = serializers.CharField()
    votes = serializers.IntegerField()
    crowd = AgreementSerializer()
    judges = serializers.DictField(child=AgreementSerializer())
