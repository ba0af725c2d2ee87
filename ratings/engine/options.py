"""The typed options of each rating method: what the command line parses into and what a rating
run stores (``RatingRun.params["options"]`` is :func:`options_to_json` of one of these).

Each method family has its own frozen dataclass, so an option a method does not take cannot be
passed to it, and every default lives here once. Construction checks the values, whoever builds
the options: the command line, a leaderboard's settings, or a stored run read back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

Ci = Literal["sandwich", "fisher"]
BothBad = Literal["tie", "drop"]
Prior = Literal["half", "bt"]
Selection = Literal["affinity", "shannon"]


class OptionsError(ValueError):
    """Options that no method run can honour: a bad value, or a competitor the votes lack."""


def _check_choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise OptionsError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")


@dataclass(frozen=True, kw_only=True)
class LabelOptions:
    """Whether a vote's soft label ``p_b`` counts (the default: every fit uses it where a vote
    has one) or only its ``winner`` (``hard_labels``, the command line's ``--hard-labels``).

    Every method's options carry it, so that a leaderboard can set it and a stored run says
    which labels it used (it is part of the run's parameters and their hash).
    """

    hard_labels: bool = False


@dataclass(frozen=True, kw_only=True)
class DisplayOptions(LabelOptions):
    """Where ratings sit on the display scale: ``scale`` points per factor ``base`` of odds,
    averaging ``init`` (the Bradley–Terry forms may pin an ``anchor`` instead)."""

    scale: float = 400.0
    base: float = 10.0
    init: float = 1000.0
    win_rate_vs: str | None = None

    def __post_init__(self) -> None:
        # One message for the three, as the command line has always said it.
        if getattr(self, "bootstrap", 0) < 0 or not self.base > 1 or not self.scale > 0:
            raise OptionsError("need --bootstrap >= 0, --base > 1 and --scale > 0")


@dataclass(frozen=True, kw_only=True)
class EloOptions(DisplayOptions):
    """Online Elo (method ``elo``) with step ``k``: one pass in vote order (``orderings`` 1),
    or the mean over ``orderings`` random orderings drawn from ``seed`` with their percentile
    interval (MT-Bench's and QLoRA's Elo); bootstrap intervals over ``bootstrap`` resamples
    when it is positive (one pass only: the two intervals answer different questions)."""

    k: float = 4.0
    bootstrap: int = 0
    seed: int = 0
    orderings: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.orderings, bool) or not isinstance(self.orderings, int):
            raise OptionsError(f"orderings must be a whole number, not {self.orderings!r}")
        if self.orderings < 1:
            raise OptionsError(f"orderings must be at least 1, not {self.orderings!r}")
        if self.orderings > 1 and self.bootstrap:
            raise OptionsError(
                "--orderings and --bootstrap do not go together: the mean over orderings "
                "comes with its own interval"
            )


@dataclass(frozen=True, kw_only=True)
class BradleyTerryOptions(DisplayOptions):
    """Bradley–Terry (``bt``) and its style-controlled form (``style-bt``): normal intervals of
    kind ``ci`` unless ``bootstrap`` resamples are asked for (``bt`` only)."""

    anchor: str | None = None
    anchor_rating: float | None = None
    bootstrap: int = 0
    ci: Ci = "sandwich"
    seed: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_choice("ci", self.ci, ("sandwich", "fisher"))


#: The style features ``--style-features`` chooses from, and the vote-file column of each.
STYLE_FEATURE_COLUMNS = {
    "tokens": "tokens",
    "headers": "header_count",
    "lists": "list_count",
    "bold": "bold_count",
}
#: arena-hard's two partial controls, accepted as shorthands: length and Markdown.
STYLE_FEATURE_GROUPS = {"length": ("tokens",), "markdown": ("headers", "lists", "bold")}


@dataclass(frozen=True, kw_only=True)
class StyleOptions(BradleyTerryOptions):
    """Style-controlled Bradley–Terry (``style-bt``): the ``style_features`` held equal (any of
    tokens, headers, lists, bold; ``length`` and ``markdown`` stand for arena-hard's two partial
    controls) and the ridge ``l2``, which is ``1 / C`` of the scikit-learn logistic regression
    arena-hard fits (so ``l2=1`` is arena-hard's default C = 1; 0 is maximum likelihood).

    The features are stored in the canonical order, shorthands expanded, so that two boards
    asking for the same control store the same options.
    """

    style_features: tuple[str, ...] = tuple(STYLE_FEATURE_COLUMNS)
    l2: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        asked = (
            (self.style_features,)
            if isinstance(self.style_features, str)
            else (self.style_features)
        )
        chosen: set[str] = set()
        for name in asked:
            if name not in STYLE_FEATURE_COLUMNS and name not in STYLE_FEATURE_GROUPS:
                allowed = ", ".join([*STYLE_FEATURE_COLUMNS, *STYLE_FEATURE_GROUPS])
                raise OptionsError(f"style feature must be one of {allowed}, not {name!r}")
            chosen.update(STYLE_FEATURE_GROUPS.get(name, (name,)))
        if not chosen:
            raise OptionsError("style-bt needs at least one style feature")
        if not self.l2 >= 0 or self.l2 == float("inf"):
            raise OptionsError(f"l2 must be a finite number >= 0, not {self.l2!r}")
        # frozen: the canonical form is set once, here
        canonical = tuple(name for name in STYLE_FEATURE_COLUMNS if name in chosen)
        object.__setattr__(self, "style_features", canonical)


@dataclass(frozen=True, kw_only=True)
class DavidsonOptions(DisplayOptions):
    """Bradley–Terry with ties modelled (``bt-davidson``); its intervals are always Fisher's."""

    anchor: str | None = None
    anchor_rating: float | None = None
    both_bad: BothBad = "tie"

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_choice("both_bad", self.both_bad, ("tie", "drop"))


@dataclass(frozen=True, kw_only=True)
class NashOptions(LabelOptions):
    """Nash averaging (``nash``): ``alpha`` pseudo-votes toward the ``prior`` win probability;
    the equilibrium chosen by maximum affinity entropy (copy-proof) or Shannon entropy."""

    alpha: float = 1.0
    prior: Prior = "half"
    selection: Selection = "affinity"

    def __post_init__(self) -> None:
        _check_choice("prior", self.prior, ("half", "bt"))
        _check_choice("selection", self.selection, ("affinity", "shannon"))


@dataclass(frozen=True, kw_only=True)
class EquilibriumOptions(LabelOptions):
    """The prompt-versus-models game (``equilibrium-ne``, ``equilibrium-cce``), played over the
    prompt groups named by ``prompt_axis`` (a vote field; ``category`` on the server)."""

    prompt_axis: str = "question_id"
    alpha: float = 1.0
    prior: Prior = "half"

    def __post_init__(self) -> None:
        _check_choice("prior", self.prior, ("half", "bt"))


@dataclass(frozen=True, kw_only=True)
class LcWinRateOptions(LabelOptions):
    """AlpacaEval 2's length-controlled win rate (``lc-winrate``) against ``baseline``.

    ``difficulty`` maps a prompt id (the vote's ``question_id``) to AlpacaEval's instruction
    difficulty; without it the difficulty term is left out (its ``length_controlled_minimal``
    GLM). ``gamed`` holds gamed-baseline rows ``(p, std_delta_len, difficulty)`` that pull the
    fit toward the baseline with weight ``gamed_weight`` (λ; its ``length_controlled_v1`` GLM);
    ``folds`` is the number of cross-validation folds that choose the penalty.
    """

    baseline: str | None = None
    difficulty: dict[str, float] | None = None
    gamed: tuple[tuple[float, float, float], ...] = ()
    gamed_weight: float = 0.2
    folds: int = 5

    def __post_init__(self) -> None:
        if not self.baseline:
            raise OptionsError("lc-winrate needs a baseline competitor (--baseline NAME)")
        if self.folds < 2 or not self.gamed_weight >= 0:  # noqa: PLR2004 - two folds at least
            raise OptionsError("lc-winrate needs --folds >= 2 and a gamed weight >= 0")
        if self.gamed and self.difficulty is None:
            raise OptionsError("gamed-baseline rows need the prompts' difficulties")


@dataclass(frozen=True, kw_only=True)
class VoteSelection:
    """Which votes of a file were kept, echoed in a report's ``params`` (the server keeps all)."""

    weight_field: str | None = None
    where: dict[str, str] = field(default_factory=dict)
    competitors: str | None = None


MethodOptions = (
    EloOptions
    | BradleyTerryOptions
    | StyleOptions
    | DavidsonOptions
    | NashOptions
    | EquilibriumOptions
    | LcWinRateOptions
)


def options_to_json(options: MethodOptions) -> dict[str, Any]:
    """The options as a JSON object: every field, defaults included, so a stored run says all."""
    return asdict(options)


def options_from_json(cls: type[MethodOptions], data: dict[str, Any]) -> MethodOptions:
    """Options of type ``cls`` from :func:`options_to_json`'s object; unknown keys are refused."""
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise OptionsError(f"unknown option {unknown[0]!r} for {cls.__name__}")
    try:
        return cls(**data)
    except TypeError as error:  # a stored value of the wrong JSON type: "1000" for a count
        raise OptionsError(f"bad option value for {cls.__name__}: {error}") from error
