from __future__ import annotations

from django.urls import path

from arena.consumers import LiveBattleConsumer

# Channels routes ASGI consumers with Django's path(), whose stubs expect views.
websocket_urlpatterns = [
    path("ws/a/<slug:slug>/live/", LiveBattleConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/live/", LiveBattleConsumer.as_asgi()),  # type: ignore[arg-type]
]
