from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from arena import views
from config import ops

urlpatterns = [
    path("", views.arena_page, name="arena"),
    path("stats/", views.statistics, name="statistics"),
    path("leaderboard/", views.statistics_moved, name="leaderboard"),
    path("live/", views.live_page, name="live"),
    path("a/<slug:slug>/", views.arena_page, name="arena-page"),
    path("a/<slug:slug>/live/", views.live_page, name="arena-live"),
    path("a/<slug:slug>/stats/", views.statistics, name="arena-statistics"),
    path("a/<slug:slug>/leaderboard/", views.statistics_moved, name="arena-leaderboard"),
    path("a/<slug:slug>/export.jsonl", views.vote_export, name="arena-export"),
    path("battles/<str:public_id>/", views.battle_result, name="battle-result"),
    path("battles/<str:public_id>/vote/", views.battle_vote, name="battle-vote"),
    path("battles/<str:public_id>/feedback/", views.battle_feedback, name="battle-feedback"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", views.signup, name="signup"),
    path("me/votes/", views.vote_history, name="vote-history"),
    path("groups/join/<str:token>/", views.group_join, name="group-join"),
    path("api/v1/", include("arena.api.urls")),
    path("", include("leaderboards.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("admin/", admin.site.urls),
    path("health/", ops.ready, name="health"),
    path("health/live/", ops.live, name="health-live"),
    path("metrics", ops.prometheus, name="metrics"),
]

handler404 = "arena.api.errors.not_found"
handler500 = "arena.api.errors.server_error"
