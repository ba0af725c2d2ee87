from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from leaderboards.models import Leaderboard, RatingRun, Tournament


@admin.register(Leaderboard)
class LeaderboardAdmin(admin.ModelAdmin[Leaderboard]):
    list_display = [
        "arena",
        "slug",
        "name",
        "source",
        "category",
        "condition",
        "methods",
        "is_active",
    ]
    list_filter = ["arena", "is_active", "source", "condition"]
    search_fields = ["slug", "name"]


@admin.register(RatingRun)
class RatingRunAdmin(admin.ModelAdmin[RatingRun]):
    """Runs are written by the jobs only; the admin shows them."""

    list_display = [
        "id",
        "leaderboard",
        "method",
        "watermark",
        "status",
        "attempts",
        "duration_seconds",
        "finished_at",
    ]
    list_filter = ["status", "method", "leaderboard__arena"]
    readonly_fields = [f.name for f in RatingRun._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: RatingRun | None = None) -> bool:
        return False


@admin.register(Tournament)
class TournamentAdmin(admin.ModelAdmin[Tournament]):
    """Create tournaments with ``manage.py tournament create`` (it checks every answer exists);
    the admin shows them."""

    list_display = ["id", "name", "arena", "format", "created_at", "finished_at"]
    list_filter = ["arena", "format"]
    readonly_fields = [f.name for f in Tournament._meta.fields]
    filter_horizontal = ["competitors", "prompts", "judges"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
