from __future__ import annotations

from django.urls import path

from leaderboards import views
from leaderboards.api import boards as api
from leaderboards.api import tournaments as tournament_api
from leaderboards.competitor_page import competitor_page

urlpatterns = [
    path("me/board/", views.personal_board_page, name="personal-board"),
    path("a/<slug:slug>/me/", views.personal_board_page, name="arena-personal-board"),
    path("boards/", views.board_page, name="boards"),
    path("boards/<slug:scope>/<str:method>/", views.board_page, name="board"),
    path("a/<slug:slug>/boards/", views.board_page, name="arena-boards"),
    path("a/<slug:slug>/boards/<slug:scope>/<str:method>/", views.board_page, name="arena-board"),
    path("a/<slug:slug>/judges/", views.judges_page, name="arena-judges"),
    path("a/<slug:slug>/pairing/", views.pairing_page, name="arena-pairing"),
    path("compare/<str:a>/<str:b>/", views.compare_page, name="compare"),
    path("compare/", views.compare_pick, name="compare-pick"),
    path("a/<slug:slug>/compare/", views.compare_pick, name="arena-compare-pick"),
    path("a/<slug:slug>/models/<path:name>/", competitor_page, name="arena-competitor"),
    path("a/<slug:slug>/compare/<str:a>/<str:b>/", views.compare_page, name="arena-compare"),
    path(
        "api/v1/arenas/<slug:slug>/compare/<str:a>/<str:b>/",
        api.ArenaCompareView.as_view(),
        name="api-arena-compare",
    ),
    path("api/v1/leaderboards/", api.LeaderboardListView.as_view(), name="api-leaderboards"),
    path(
        "api/v1/arenas/<slug:slug>/tournaments/<int:tournament_id>",
        tournament_api.TournamentDetailView.as_view(),
        name="api-tournament",
    ),
    path(
        "api/v1/arenas/<slug:slug>/tournaments/<int:tournament_id>/battles",
        tournament_api.TournamentBattlesView.as_view(),
        name="api-tournament-battles",
    ),
    path(
        "a/<slug:slug>/tournaments/<int:tournament_id>/", views.tournament_page, name="tournament"
    ),
    path(
        "api/v1/arenas/<slug:slug>/judges/",
        api.ArenaJudgeReportView.as_view(),
        name="api-arena-judges",
    ),
    path(
        "api/v1/leaderboards/<slug:scope>/<str:method>/",
        api.LeaderboardDetailView.as_view(),
        name="api-leaderboard",
    ),
    path(
        "api/v1/arenas/<slug:slug>/leaderboards/",
        api.ArenaLeaderboardListView.as_view(),
        name="api-arena-leaderboards",
    ),
    path(
        "api/v1/arenas/<slug:slug>/leaderboards/<slug:scope>/<str:method>/",
        api.ArenaLeaderboardDetailView.as_view(),
        name="api-arena-leaderboard",
    ),
]
