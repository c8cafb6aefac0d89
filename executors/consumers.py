"""Websocket consumer of live events: one socket per browser tab, shared by every subscription of the tab.

The client connects to ``/ws/events/`` (session cookie, same origin only: see ``project.ws_origin``), is joined to
its own notification group, and sends JSON frames:

- ``{"action": "watch" | "unwatch", "design": <id>}``: follow changes of a design;
- ``{"action": "follow", "job": <id>, "since": <seq>}``: a job's state, steps and output after ``seq``: first
  what is stored, then live, without gap or duplicate (each chunk carries its sequence number);
  ``{"action": "unfollow", "job": <id>}``;
- ``{"action": "watch_jobs"}``: every job's state changes (``job.state``), for lists of jobs;
- ``{"action": "ping"}``: answered with ``{"type": "pong"}``;
- ``{"action": "resume", "since": <seq>, "floor": <seq>}``: the stored events of the socket's groups (its user's
  notifications, watched designs, the jobs list) numbered after ``since`` (and, as numbers may commit out of
  order, the last few seconds' before it, but none at or below ``floor``: where the tab started), each once, then
  ``{"type": "resumed"}``. The client skips those it had.

Events of those groups carry their number (``seq``, see ``topology.events``); ``hello`` carries the number of the
last stored event (``events``). A client that lost its socket opens a new one, subscribes again and resumes from
the last number it saw: what was published while it was away (or while Redis was down) is not lost. The socket
also reads stored events it was not sent every few seconds itself (a message lost in a Redis restart while the
socket stayed open), and joins its groups again now and then (a restarted Redis forgot them).

Frames that are not JSON objects get an ``error`` frame; the socket stays open. Every subscription is checked
against the user's roles. The server sends a ``heartbeat`` every ``HEARTBEAT_INTERVAL`` seconds (clients that
hear nothing for much longer reconnect), and re-checks every ``SESSION_CHECK_INTERVAL`` seconds that the session
still exists and the user may still read: after a logout or the loss of every role the socket is closed with
code 4401 within 5 s.

Output is stored before it is sent. A live batch only tells the socket how far its job's output goes (and leaves
its encoded chunks in the process's cache, ``executors.jobs.stream``); one sender task per socket sends what the
socket lacks, in frames of up to about 512 KiB joined from encoded chunks (from the cache, or read back from the
database by a socket that is behind). So a socket that keeps up gets each batch at once; one that reads slowly
gets fewer, larger frames and holds nothing but its position; none makes the server's memory grow.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.base import SessionBase

from project.roles import user_can
from topology.events import design_group, events_after, events_latest, user_group

from .jobs.events import JOBS_GROUP, job_group
from .jobs.selectors import job_positions, job_snapshot_for_follower
from .jobs.stream import CHUNKS, output_frame

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL = 25.0
SESSION_CHECK_INTERVAL = 2.0
REJOIN_INTERVAL = 60.0  # seconds between joining the socket's groups again (a restarted Redis forgot them)
SEEN_EVENTS = 2000  # numbers of events sent on a socket remembered (so none is sent twice)
EVENT_PAGE = 500
MAX_FOLLOWED_JOBS = 50
READ_TO_END = 2**62  # a job's known position when the socket reads what is stored to its end
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
        self.known: dict[int, int] = {}  # job id -> last sequence number known to be stored
        self.pending_steps: dict[int, dict[str, dict[str, Any]]] = {}  # step changes not sent yet, by job and name
        self.pending_state: dict[int, dict[str, Any]] = {}  # a job.state event to send once the output before it is
        self.ended_sent: set[int] = set()  # followed jobs whose end this socket has announced
        # Output of jobs goes out from one sender task (the pump); handlers only tell it what is new. The lock keeps
        # a follow or unfollow from changing a job's position while the pump sends a frame of it.
        self.job_lock = asyncio.Lock()
        self.pump_wake = asyncio.Event()
        self.pump: asyncio.Future[None] | None = None
        self.groups_joined: set[str] = set()
        self.events_seen: OrderedDict[int, None] = OrderedDict()
        self.event_lock = asyncio.Lock()
        await self._join(user_group(user.pk))
        # Joined first: what commits from now on comes live. Stored events at or below the floor are not read back
        # (they are older than the socket) unless the client resumes from an earlier number.
        self.events_since = self.events_floor = await database_sync_to_async(events_latest)()
        await self.accept()
        await self.send_json({"type": "hello", "user": user.get_username(), "events": self.events_since})
        self.guard = asyncio.ensure_future(self._guard())
        self.pump = asyncio.ensure_future(self._pump())

    async def disconnect(self, code: int) -> None:
        for task in (getattr(self, "guard", None), getattr(self, "pump", None)):
            if task is not None:
                task.cancel()
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
        since_heartbeat = since_rejoin = 0.0
        try:
            while True:
                await asyncio.sleep(SESSION_CHECK_INTERVAL)
                since_heartbeat += SESSION_CHECK_INTERVAL
                since_rejoin += SESSION_CHECK_INTERVAL
                if not await self._still_allowed():
                    await self.send_json({"type": "session.closed", "detail": "logged out or no longer allowed"})
                    await self.close(code=4401)
                    return
                if since_rejoin >= REJOIN_INTERVAL:
                    since_rejoin = 0.0
                    for group in list(self.groups_joined):
                        await self.channel_layer.group_add(group, self.channel_name)
                await self._sweep_jobs()
                await self._send_stored_events(self.events_since, look_back=True)
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
        for job_id, (last_seq, summary) in positions.items():
            if job_id not in self.followed:
                continue
            self.known[job_id] = max(self.known.get(job_id, 0), last_seq)
            if summary["state"] in ENDED_STATES and job_id not in self.ended_sent:
                self.pending_state[job_id] = {"type": "job.state", "job": summary}
        self.pump_wake.set()

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
            "resume": self._resume,
        }.get(action if isinstance(action, str) else "")
        if handler is None:
            await self.send_json(
                {"type": "error", "detail": "send {action: watch|unwatch|follow|unfollow|watch_jobs|resume|ping, ...}"}
            )
            return
        await handler(content)

    async def _ping(self, content: dict[str, Any]) -> None:
        await self.send_json({"type": "pong"})

    async def _resume(self, content: dict[str, Any]) -> None:
        """Send the stored events of this socket's groups after ``since`` that it has not sent."""
        since, floor = _count(content.get("since")), _count(content.get("floor", 0))
        if since is None or floor is None:
            await self.send_json({"type": "error", "detail": "resume needs since: <event number> (>= 0)"})
            return
        self.events_floor = min(floor, since)  # the tab's own start: what it may have missed is after it
        count = await self._send_stored_events(since, look_back=True)
        await self.send_json({"type": "resumed", "since": since, "count": count})

    def _event_groups(self) -> list[str]:
        """The groups whose stored events this socket replays (a followed job's output has its own numbers)."""
        return sorted(g for g in self.groups_joined if not g.startswith("job."))

    async def _send_stored_events(self, since: int, *, look_back: bool) -> int:
        """Send the stored events of this socket's groups after ``since`` not sent yet; return how many."""
        sent = 0
        async with self.event_lock:
            while True:
                events = await database_sync_to_async(events_after)(
                    groups=self._event_groups(), since=since, look_back=look_back, limit=EVENT_PAGE
                )
                for event in events:
                    if event["seq"] > self.events_floor and self._first_time(event["seq"]):
                        sent += 1
                        await self._send_event(event)
                if len(events) < EVENT_PAGE:
                    return sent
                since, look_back = events[-1]["seq"], False

    def _first_time(self, seq: int) -> bool:
        """Whether the event numbered ``seq`` was not sent on this socket yet (and remember it was now)."""
        if seq in self.events_seen:
            return False
        self.events_seen[seq] = None
        if len(self.events_seen) > SEEN_EVENTS:
            self.events_seen.popitem(last=False)
        self.events_since = max(self.events_since, seq)
        return True

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
        # Join first, then send what is stored: a batch published meanwhile only raises what the pump sends.
        await self._join(job_group(job_id))
        async with self.job_lock:
            self.followed[job_id] = since
            self.known[job_id] = READ_TO_END  # whatever is stored: the pump reads until there is no more
            self.pending_steps.pop(job_id, None)
            self.pending_state.pop(job_id, None)
            self.ended_sent.discard(job_id)
            await self.send_json({"type": "followed", "job": job_id, "since": since, "state": snapshot})
            if snapshot["state"] in ENDED_STATES:
                # It had ended already: its last state event went out before this socket joined (or during a Redis
                # outage). Say so after its output, as a follower that watched it live would have heard it.
                summary = {k: v for k, v in snapshot.items() if k != "steps"}
                self.pending_state[job_id] = {"type": "job.state", "job": summary}
        self.pump_wake.set()

    async def _unfollow(self, content: dict[str, Any]) -> None:
        job_id = _count(content.get("job"))
        if job_id is None:
            await self.send_json({"type": "error", "detail": "unfollow needs job: <id>"})
            return
        async with self.job_lock:
            for positions in (self.followed, self.known, self.pending_steps, self.pending_state):
                positions.pop(job_id, None)
            self.ended_sent.discard(job_id)
        await self._leave(job_group(job_id))
        await self.send_json({"type": "unfollowed", "job": job_id})

    # --- group messages -------------------------------------------------------------------------------------

    async def event_forward(self, message: dict[str, Any]) -> None:
        event = message["event"]
        seq = event.get("seq")
        if isinstance(seq, int) and not self._first_time(seq):
            return  # sent already (read back from storage)
        await self._send_event(event)

    async def _send_event(self, event: dict[str, Any]) -> None:
        if event.get("type") == "job.state":
            job_id = event.get("job", {}).get("id")
            if job_id in self.followed:
                # The job changed state after its last batch: the pump sends what is stored before the state.
                self.known[job_id] = max(self.known.get(job_id, 0), event["job"].get("last_seq") or 0)
                self.pending_state[job_id] = event
                self.pump_wake.set()
                return
            if not user_can(self.user, "read"):
                return
        await self.send_json(event)

    async def job_forward(self, message: dict[str, Any]) -> None:
        """A stored batch of a job: its encoded chunks go to the process's cache (once, whichever socket comes
        first), and the pump learns how far the job's output goes."""
        event = message["event"]
        job_id = event["job"]
        if job_id not in self.followed:
            return
        for seq, text in event.get("chunks") or ():
            CHUNKS.put(job_id, seq, text)
        if event.get("last") is not None:
            self.known[job_id] = max(self.known.get(job_id, 0), event["last"])
        for step in event.get("steps") or ():
            self.pending_steps.setdefault(job_id, {})[step["name"]] = step
        self.pump_wake.set()

    # --- the pump: what each followed job's followers lack, in order ----------------------------------------

    async def _pump(self) -> None:
        """Send each followed job's output after what this socket sent, then its pending steps and state."""
        while True:
            await self.pump_wake.wait()
            self.pump_wake.clear()
            try:
                progressed = True
                while progressed:
                    progressed = False
                    for job_id in list(self.followed):
                        async with self.job_lock:
                            if job_id in self.followed:
                                progressed = await self._send_next(job_id) or progressed
            except asyncio.CancelledError:
                raise
            except Exception:  # the database away for a moment (or the socket going): the guard wakes it again
                log.warning("socket pump: could not send job output", exc_info=True)
                await asyncio.sleep(1.0)

    async def _send_next(self, job_id: int) -> bool:
        """Send the next frame of ``job_id`` this socket lacks (output, steps, then its state); False: none."""
        sent, known = self.followed[job_id], self.known.get(job_id, 0)
        if known > sent:
            run = await CHUNKS.run(job_id, sent + 1, known)
            if not run:  # not readable (yet): the next batch or sweep tells more
                self.known[job_id] = sent
                return False
            steps = self.pending_steps.pop(job_id, None)
            await self.send(text_data=output_frame(job_id, [text for _, text in run], list((steps or {}).values())))
            self.followed[job_id] = run[-1][0]
            return True
        if job_id in self.pending_steps:
            steps = self.pending_steps.pop(job_id)
            await self.send(text_data=output_frame(job_id, [], list(steps.values())))
            return True
        state = self.pending_state.get(job_id)
        if state is not None and (state["job"].get("last_seq") or 0) <= sent:
            del self.pending_state[job_id]
            if state["job"].get("state") in ENDED_STATES:
                if job_id in self.ended_sent:
                    return True
                self.ended_sent.add(job_id)
            await self.send_json(state)
            return True
        return False

    @database_sync_to_async
    def _design_exists(self, design_id: int) -> bool:
        from topology.models import Design

        return user_can(self.user, "read") and Design.objects.filter(pk=design_id).exists()
