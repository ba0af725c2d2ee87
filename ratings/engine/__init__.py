"""The rating engine: one registry of methods with typed options, the report they return, and
the vote-file reader. The command line and the server's rating jobs both call :func:`rate`.
"""

from __future__ import annotations

from ratings.engine.methods import (
    METHODS,
    BradleyTerryState,
    Method,
    MethodOutput,
    method_get,
    method_options,
    rate,
    rate_with_state,
    separate_groups_warning,
)
from ratings.engine.options import (
    BradleyTerryOptions,
    DavidsonOptions,
    EloOptions,
    EquilibriumOptions,
    LcWinRateOptions,
    MethodOptions,
    NashOptions,
    OptionsError,
    StyleOptions,
    VoteSelection,
    options_from_json,
    options_to_json,
)

__all__ = [
    "METHODS",
    "BradleyTerryOptions",
    "BradleyTerryState",
    "DavidsonOptions",
    "EloOptions",
    "EquilibriumOptions",
    "LcWinRateOptions",
    "Method",
    "MethodOptions",
    "MethodOutput",
    "NashOptions",
    "OptionsError",
    "StyleOptions",
    "VoteSelection",
    "method_get",
    "method_options",
    "options_from_json",
    "options_to_json",
    "rate",
    "rate_with_state",
    "separate_groups_warning",
]
