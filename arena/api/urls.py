from __future__ import annotations

from django.urls import path, register_converter

from arena.api import views
from arena.api.serializers import BATTLE_ID


class BattleIdConverter:
    """A battle's public id: URL-safe base64, so nothing else reaches the database."""

    regex = BATTLE_ID.pattern

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class NameConverter(BattleIdConverter):
    """A competitor's name: anything but a slash or a NUL (which PostgreSQL cannot compare)."""

    regex = "[^/\x00]{1,200}"


register_converter(BattleIdConverter, "battle")
register_converter(NameConverter, "name")

urlpatterns = [
    path("arenas/", views.ArenaListView.as_view(), name="api-arenas"),
    path("arenas/<slug:slug>/", views.ArenaDetailView.as_view(), name="api-arena"),
    path("arenas/<slug:slug>/export/", views.ArenaExportView.as_view(), name="api-arena-export"),
    path("arena/", views.ArenaDetailView.as_view(), name="api-default-arena"),
    path("export/", views.ArenaExportView.as_view(), name="api-default-export"),
    # Judges
    path("battles", views.BattlesView.as_view(), name="api-battles"),
    path("arenas/<slug:slug>/battles", views.BattlesView.as_view(), name="api-arena-battles"),
    path("battles/<battle:battle_id>/vote", views.BattleVoteView.as_view(), name="api-vote"),
    path("votes/batch", views.VoteBatchView.as_view(), name="api-votes-batch"),
]

# The same paths for the default arena and, under arenas/<slug>/, for a named one.
_ARENA_PATHS = [
    ("submissions", views.SubmissionsView, "submissions"),
    ("leaderboard", views.LeaderboardView, "leaderboard"),
    ("competitors/<name:name>/history", views.CompetitorHistoryView, "competitor-history"),
    ("votes/export", views.VoteExportView, "votes-export"),
    ("judges/agreement", views.JudgeAgreementView, "judge-agreement"),
]
for route, view, name in _ARENA_PATHS:
    urlpatterns += [
        path(route, view.as_view(), name=f"api-{name}"),
        path(f"arenas/<slug:slug>/{route}", view.as_view(), name=f"api-arena-{name}"),
    ]
