"""Refusals of the rating pages and endpoints, in the arena's error family."""

from __future__ import annotations

from arena.exceptions import ArenaError


class LeaderboardNotFound(ArenaError):
    status = 404
    code = "leaderboard_not_found"
    default_message = "No such leaderboard or method in this arena."


class NotComputedYet(ArenaError):
    status = 404
    code = "not_computed_yet"
    default_message = "This leaderboard has no published run yet; try again in a moment."


class SameCompetitor(ArenaError):
    # 404: the address is well formed, but no comparison of a competitor with itself exists
    # (as for an unknown name; the schema cannot say "a differs from b").
    status = 404
    code = "same_competitor"
    default_message = "There is no comparison of a competitor with itself; pick two different ones."


class TournamentNotFound(ArenaError):
    status = 404
    code = "tournament_not_found"
    default_message = "No such tournament, or this judge does not play in it."


class TournamentInvalid(ArenaError):
    status = 400
    code = "tournament_invalid"
    default_message = "This tournament cannot be set up."
