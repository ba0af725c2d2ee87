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
    status = 400
    code = "same_competitor"
    default_message = "Pick two different competitors."


class TournamentNotFound(ArenaError):
    status = 404
    code = "tournament_not_found"
    default_message = "No such tournament, or this judge does not play in it."


class TournamentInvalid(ArenaError):
    status = 400
    code = "tournament_invalid"
    default_message = "This tournament cannot be set up."
