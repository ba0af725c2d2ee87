from __future__ import annotations

from django.urls import path

from leaderboards.consumers import LeaderboardConsumer

websocket_urlpatterns = [
    path("ws/a/<slug:slug>/boards/<slug:board>/", LeaderboardConsumer.as_asgi()),
    path("ws/boards/<slug:board>/", LeaderboardConsumer.as_asgi()),
]
