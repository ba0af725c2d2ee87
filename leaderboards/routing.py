from __future__ import annotations

from django.urls import path

from leaderboards.consumers import LeaderboardConsumer

# Channels routes ASGI consumers with Django's path(), whose stubs expect views.
websocket_urlpatterns = [
    path("ws/a/<slug:slug>/boards/<slug:board>/", LeaderboardConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/boards/<slug:board>/", LeaderboardConsumer.as_asgi()),  # type: ignore[arg-type]
]
