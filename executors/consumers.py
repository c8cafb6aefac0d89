"""Websocket consumer of live events: one socket per browser tab, shared by every subscription of the tab.

The client connects to ``/ws/events/`` (session cookie, same origin only: see ``project.ws_origin``), is joined to
its own notification group, and sends JSON frames:

- ``{"action": "watch" | "unwatch", "design": <id>}``: follow changes of a design;
- ``{"action": "follow", "job": <id>, "since": <seq>}``: a job's state, steps and output after ``seq``: first
  what is stored, then live, without gap or duplicate (each chunk carries its sequence number);
  ``{"action": "unfollow", "job": <id>}``;
- ``{"action": "watch_jobs"}``: every job's state changes (``job.state``), for lists of jobs;
- ``{"action": "ping"}``: answered with ``{"type": "pong"}``.

Frames that are not JSON objects get an ``error`` frame; the socket stays open. Every subscription is checked
against the user's roles. The server sends a ``heartbeat`` every ``HEARTBEAT_INTERVAL`` seconds (clients that
hear nothing for much longer reconnect), and re-checks every ``SESSION_CHECK_INTERVAL`` seconds that the session
still exists and the user may still read: after a logout or the loss of every role the socket is closed with
code 4401 within 5 s.

Output is stored before it is sent, so a follower that falls behind is fed from the database: a live batch
whose first sequence number is beyond what the socket has sent makes it read the gap back first, and a socket
that reads slowly makes the channel layer drop batches (its queue is bounded) that are read back the same way.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.base import SessionBase

from project.roles import user_can
from topology.events import design_group, user_group

from .jobs.events import JOBS_GROUP, job_group
from .jobs.selectors import job_output_after, job_positions, job_snapshot_for_follower

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL = 25.0
SESSION_CHECK_INTERVAL = 2.0
# Stored chunks read (and sent as one frame) per query while catching up: a chunk holds at most about 64 KiB, so a
# frame stays around 1 MiB however far behind the socket is.
REPLAY_PAGE = 16
MAX_FOLLOWED_JOBS = 50
ENDED_STATES = ("succeeded", "failed", "cancelled", "interrupted")


def _count(value: Any) -> int | None:
    """``value`` when it is an integer >= 0 (an id or a sequence number), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


class EventsConsumer(AsyncJsonWebsocketConsumer):
    """Forwards ``user.<id>``, watched ``design.<id>`` and followed ``job.<id>`` group events to one tab."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not await database_sync_to_async(user_can)(user, "read"):
            await self.close(code=4403)
            return
        self.user = user
        self.watched: set[int] = set()
        self.followed: dict[int, int] = {}  # job id -> last sequence number sent on this socket
        self.ended_sent: set[int] = set()  # followed jobs whose end this socket has announced
        # Output of a job goes out from message handlers and from the guard's sweep: one at a time, so that the
        # sequence numbers a socket has sent stay exact.
        self.job_lock = asyncio.Lock()
        self.groups_joined: set[str] = set()
        await self._join(user_group(user.pk))
        await self.accept()
        await self.send_json({"type": "hello", "user": user.get_username()})
        self.guard = asyncio.ensure_future(self._guard())

    async def disconnect(self, code: int) -> None:
        guard = getattr(self, "guard", None)
        if guard is not None:
            guard.cancel()
        for group in list(getattr(self, "groups_joined", ())):
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # Redis gone: the group membership expires by itself
                log.debug("could not leave %s", group, exc_info=True)

    async def _join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.add(group)

    async def _leave(self, group: str) -> None:
        await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined.discard(group)

    # --- session and heartbeat ------------------------------------------------------------------------------

    async def _guard(self) -> None:
        """Close the socket when its session ends or its user loses every role; send heartbeats meanwhile."""
        since_heartbeat = 0.0
        try:
            while True:
                await asyncio.sleep(SESSION_CHECK_INTERVAL)
                since_heartbeat += SESSION_CHECK_INTERVAL
                if not await self._still_allowed():
                    await self.send_json({"type": "session.closed", "detail": "logged out or no longer allowed"})
                    await self.close(code=4401)
                    return
                await self._sweep_jobs()
                if since_heartbeat >= HEARTBEAT_INTERVAL:
                    since_heartbeat = 0.0
                    await self.send_json({"type": "heartbeat"})
        except asyncio.CancelledError:
            raise
        except Exception:  # the socket is going away
            log.debug("socket guard stopped", exc_info=True)

    async def _sweep_jobs(self) -> None:
        """Catch up what no message revealed: a batch (or the end of a job) dropped for this socket when its queue
        was full is only noticed from the next batch, and the last batch of a job has no next one."""
        if not self.followed:
            return
        positions = await database_sync_to_async(job_positions)(job_ids=list(self.followed))
        async with self.job_lock:
            for job_id, (last_seq, summary) in positions.items():
                if job_id not in self.followed:
                    continue
                if last_seq > self.followed[job_id]:
                    await self._catch_up(job_id, upto=last_seq)
                if summary["state"] in ENDED_STATES and job_id not in self.ended_sent:
                    self.ended_sent.add(job_id)
                    await self.send_json({"type": "job.state", "job": summary})

    @database_sync_to_async
    def _still_allowed(self) -> bool:
        session: SessionBase | None = self.scope.get("session")
        if session is None or not session.session_key or not session.exists(session.session_key):
            return False
        user = get_user_model().objects.filter(pk=self.user.pk, is_active=True).first()
        return user is not None and user_can(user, "read")

    # --- frames from the client -----------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        if text_data is None:
            await self.send_json({"type": "error", "detail": "send JSON text frames"})
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):
            await self.send_json({"type": "error", "detail": "not JSON: send a JSON object"})
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        action = content.get("action") if isinstance(content, dict) else None
        handler = {
            "watch": self._watch,
            "unwatch": self._watch,
            "follow": self._follow,
            "unfollow": self._unfollow,
            "ping": self._ping,
            "watch_jobs": self._watch_jobs,
        }.get(action if isinstance(action, str) else "")
        if handler is None:
            await self.send_json({"type": "error", "detail": "send {action: watch|unwatch|follow|unfollow|ping, ...}"})
            return
        await handler(content)

    async def _ping(self, content: dict[str, Any]) -> None:
        await self.send_json({"type": "pong"})

    async def _watch_jobs(self, content: dict[str, Any]) -> None:
        """Every job's state changes (a list of jobs keeps itself current)."""
        await self._join(JOBS_GROUP)
        await self.send_json({"type": "watched_jobs"})

    async def _watch(self, content: dict[str, Any]) -> None:
        design_id = content.get("design")
        if not isinstance(design_id, int) or isinstance(design_id, bool):
            await self.send_json({"type": "error", "detail": "design must be a design id"})
            return
        if content["action"] == "watch":
            if not await self._design_exists(design_id):
                await self.send_json({"type": "error", "detail": f"no design {design_id}"})
                return
            await self._join(design_group(design_id))
            self.watched.add(design_id)
        else:
            await self._leave(design_group(design_id))
            self.watched.discard(design_id)
        await self.send_json({"type": content["action"] + "ed", "design": design_id})

    async def _follow(self, content: dict[str, Any]) -> None:
        job_id, since = _count(content.get("job")), _count(content.get("since", 0))
        if job_id is None or since is None:
            await self.send_json({"type": "error", "detail": "follow needs job: <id> and since: <seq> (>= 0)"})
            return
        if job_id not in self.followed and len(self.followed) >= MAX_FOLLOWED_JOBS:
            await self.send_json({"type": "error", "detail": f"at most {MAX_FOLLOWED_JOBS} jobs per socket"})
            return
        snapshot = await database_sync_to_async(job_snapshot_for_follower)(user=self.user, job_id=job_id)
        if snapshot is None:
            await self.send_json({"type": "error", "detail": f"no job {job_id}", "job": job_id})
            return
        # Join first, then send what is stored: a batch published meanwhile waits in this socket's queue and is
        # handled after the replay, where its sequence numbers tell what was sent already.
        await self._join(job_group(job_id))
        async with self.job_lock:
            self.followed[job_id] = since
            self.ended_sent.discard(job_id)
            await self.send_json({"type": "followed", "job": job_id, "since": since, "state": snapshot})
            await self._catch_up(job_id, upto=None)
            if snapshot["state"] in ENDED_STATES:
                # It had ended already: its last state event went out before this socket joined (or during a Redis
                # outage). Say so after its output, as a follower that watched it live would have heard it.
                self.ended_sent.add(job_id)
                await self.send_json({"type": "job.state", "job": {k: v for k, v in snapshot.items() if k != "steps"}})

    async def _unfollow(self, content: dict[str, Any]) -> None:
        job_id = _count(content.get("job"))
        if job_id is None:
            await self.send_json({"type": "error", "detail": "unfollow needs job: <id>"})
            return
        self.followed.pop(job_id, None)
        self.ended_sent.discard(job_id)
        await self._leave(job_group(job_id))
        await self.send_json({"type": "unfollowed", "job": job_id})

    async def _catch_up(self, job_id: int, upto: int | None) -> None:
        """Send the stored chunks of ``job_id`` after what this socket sent, up to ``upto`` (None: all)."""
        while job_id in self.followed:
            after = self.followed[job_id]
            chunks = await database_sync_to_async(job_output_after)(
                job_id=job_id, after=after, upto=upto, limit=REPLAY_PAGE
            )
            if not chunks:
                return
            await self.send_json({"type": "job.output", "job": job_id, "chunks": chunks})
            self.followed[job_id] = chunks[-1]["seq"]
            if len(chunks) < REPLAY_PAGE:
                return

    # --- group messages -------------------------------------------------------------------------------------

    async def event_forward(self, message: dict[str, Any]) -> None:
        event = message["event"]
        if event.get("type") == "job.state":
            job_id = event.get("job", {}).get("id")
            if job_id in self.followed:
                async with self.job_lock:
                    # The job ended (or changed state) after its last batch: send what is stored before the state.
                    await self._catch_up(job_id, upto=None)
                    if event["job"].get("state") in ENDED_STATES:
                        if job_id in self.ended_sent:
                            return
                        self.ended_sent.add(job_id)
                    await self.send_json(event)
                return
            if not user_can(self.user, "read"):
                return
        await self.send_json(event)

    async def job_forward(self, message: dict[str, Any]) -> None:
        """A stored batch of a followed job: send the part this socket has not sent, reading any gap back.

        The message carries the frame already encoded (once, by the job's log): in the usual case, a batch right
        after what this socket sent, it goes out as it is.
        """
        async with self.job_lock:
            await self._forward_batch(message["event"])

    async def _forward_batch(self, event: dict[str, Any]) -> None:
        job_id = event["job"]
        if job_id not in self.followed:
            return
        first, last = event.get("first"), event.get("last")
        sent = self.followed[job_id]
        if first is None or first == sent + 1:
            if last is not None:
                self.followed[job_id] = last
            await self.send(text_data=event["text"])
            return
        if last is None or last <= sent:
            return  # sent already (during a catch-up)
        if first > sent + 1:  # batches were dropped for this socket: read them back
            await self._catch_up(job_id, upto=first - 1)
        frame = json.loads(event["text"])
        frame["chunks"] = [c for c in frame["chunks"] if c["seq"] > self.followed[job_id]]
        if frame["chunks"]:
            self.followed[job_id] = frame["chunks"][-1]["seq"]
        if frame["chunks"] or frame.get("steps"):
            await self.send_json(frame)

    @database_sync_to_async
    def _design_exists(self, design_id: int) -> bool:
        from topology.models import Design

        return user_can(self.user, "read") and Design.objects.filter(pk=design_id).exists()
