"""Websocket consumer of live events: notifications for the user and changes of the designs they watch.

The client connects to ``/ws/events/`` (session cookie auth), is joined to its own notification group,
and sends ``{"action": "watch", "design": <id>}`` / ``{"action": "unwatch", "design": <id>}`` to follow
changes of a design. Each subscription is checked against the user's roles.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from project.roles import user_can
from topology.events import design_group, user_group


class EventsConsumer(AsyncJsonWebsocketConsumer):
    """Forwards ``user.<id>`` and watched ``design.<id>`` group events to one browser tab."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not await database_sync_to_async(user_can)(user, "read"):
            await self.close(code=4403)
            return
        self.user = user
        self.watched: set[int] = set()
        await self.channel_layer.group_add(user_group(user.pk), self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "user": user.get_username()})

    async def disconnect(self, code: int) -> None:
        user = getattr(self, "user", None)
        if user is None:
            return
        await self.channel_layer.group_discard(user_group(user.pk), self.channel_name)
        for design_id in self.watched:
            await self.channel_layer.group_discard(design_group(design_id), self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or content.get("action") not in ("watch", "unwatch"):
            await self.send_json({"type": "error", "detail": "send {action: watch|unwatch, design: <id>}"})
            return
        design_id = content.get("design")
        if not isinstance(design_id, int) or isinstance(design_id, bool):
            await self.send_json({"type": "error", "detail": "design must be a design id"})
            return
        if content["action"] == "watch":
            if not await self._design_exists(design_id):
                await self.send_json({"type": "error", "detail": f"no design {design_id}"})
                return
            await self.channel_layer.group_add(design_group(design_id), self.channel_name)
            self.watched.add(design_id)
        else:
            await self.channel_layer.group_discard(design_group(design_id), self.channel_name)
            self.watched.discard(design_id)
        await self.send_json({"type": content["action"] + "ed", "design": design_id})

    async def event_forward(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])

    @database_sync_to_async
    def _design_exists(self, design_id: int) -> bool:
        from topology.models import Design

        return user_can(self.user, "read") and Design.objects.filter(pk=design_id).exists()
