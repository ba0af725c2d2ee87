"""Errors raised by the rating core.

Results also carry a ``converged`` flag, so callers may choose between raising and warning.
"""

from __future__ import annotations

#: How many names of each disconnected group the message shows.
_SHOWN = 5


class RatingError(Exception):
    """Base class of every error raised by :mod:`ratings.core`."""


class ConvergenceError(RatingError):
    """An iterative solver stopped before reaching its tolerance."""


class DisconnectedComparisonsError(RatingError):
    """The comparison graph splits into parts whose relative strengths are not identified."""

    def __init__(self, components: list[list[str]]) -> None:
        self.components = components
        listed = "; ".join(
            ", ".join(c[:_SHOWN]) + (" …" if len(c) > _SHOWN else "") for c in components
        )
        super().__init__(
            f"the comparisons form {len(components)} disconnected groups, whose ratings cannot "
            f"be put on one scale: {listed}"
        )
