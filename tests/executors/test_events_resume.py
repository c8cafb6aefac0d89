"""Design and notification events published while Redis is down are not lost: they are stored with their change,
numbered, and a socket that comes back after a real Redis (Valkey) restart resumes from the last number it saw and
gets each of them once, then live events again."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.test import Client

from core.audit import change_context
from project.embedded_redis import start_embedded_redis
from project.settings import channel_layers_for
from tests.factories import DesignFactory
from topology.changes.services import change_request_create, change_request_submit
from topology.events import events_after, events_prune
from topology.models import Design, LiveEvent

pytestmark = pytest.mark.django_db(transaction=True)


def session_headers(user) -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    return [(b"cookie", cookie.encode()), (b"origin", b"http://testserver"), (b"host", b"testserver")]


async def open_socket(headers) -> tuple[WebsocketCommunicator, dict[str, Any]]:
    from project.asgi import application

    communicator = WebsocketCommunicator(application, "/ws/events/", headers=headers)
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    hello = await communicator.receive_json_from(timeout=10)
    assert hello["type"] == "hello" and isinstance(hello["events"], int)
    return communicator, hello


async def frames_for(communicator: WebsocketCommunicator, seconds: float) -> list[dict[str, Any]]:
    """Every frame the socket gets within ``seconds`` (heartbeats left out)."""
    frames = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await communicator.receive_nothing(timeout=0.2, interval=0.01):
            continue
        frame = await communicator.receive_json_from(timeout=5)
        if frame["type"] != "heartbeat":
            frames.append(frame)
    return frames


@pytest.fixture
def own_redis(settings):
    """A Redis of this test's own, that it stops and starts again on the same port."""
    server = start_embedded_redis()
    settings.REDIS_URL = server.url
    settings.CHANNEL_LAYERS = channel_layers_for(server.url)
    channel_layers.backends.clear()
    holder = {"server": server}
    yield holder
    holder["server"].stop()
    channel_layers.backends.clear()


def edit(design: Design, user, description: str) -> None:
    with change_context(source="api", user=user):
        d = Design.objects.get(pk=design.pk)
        d.description = description
        d.save()


def test_events_sent_while_redis_is_down_reach_the_socket_that_resumes_once_each(own_redis, make_user):
    approver = make_user("resume-approver", "approver")
    designer = make_user("resume-designer", "designer")
    design = DesignFactory.create(name="resumed")
    headers = session_headers(approver)

    async def before_outage() -> tuple[int, int]:
        communicator, hello = await open_socket(headers)
        await communicator.send_json_to({"action": "watch", "design": design.pk})
        assert (await communicator.receive_json_from(timeout=5))["type"] == "watched"
        await sync_to_async(edit)(design, designer, "live, before the outage")
        event = await communicator.receive_json_from(timeout=5)
        assert event["type"] == "design.changed" and isinstance(event["seq"], int)
        await communicator.disconnect()
        return hello["events"], event["seq"]

    floor, last_seen = async_to_sync(before_outage)()

    server = own_redis["server"]
    port, password = server.port, server.password
    server.stop()
    # While Redis is down: a design edit (to the design's watchers) and a request for review (to the approver).
    edit(design, designer, "edited while Redis was down")
    with change_context(source="api", user=designer):
        cr = change_request_create(design=design, user=designer, title="while down")
        change_request_submit(change_request=cr, user=designer)
    time.sleep(0.5)
    own_redis["server"] = start_embedded_redis(port=port, password=password)
    channel_layers.backends.clear()  # this process's layer reconnects, as the web process's does

    missed = [
        e for e in events_after(groups=[f"user.{approver.pk}", f"design.{design.pk}"], since=last_seen)
        if e["seq"] > last_seen
    ]  # fmt: skip
    assert {e["type"] for e in missed} >= {"design.changed", "change_request.review_requested"}

    async def after_outage() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        communicator, _hello = await open_socket(headers)
        await communicator.send_json_to({"action": "watch", "design": design.pk})
        await communicator.send_json_to({"action": "resume", "since": last_seen, "floor": floor})
        resumed = await frames_for(communicator, 3.0)  # the guard's own read of stored events runs meanwhile
        await sync_to_async(edit)(design, designer, "live again")
        live = await frames_for(communicator, 3.0)
        await communicator.disconnect()
        return resumed, live

    resumed, live = async_to_sync(after_outage)()
    got = [f for f in resumed if "seq" in f]
    # Each missed event once, in order; besides them only what the client had (numbers may commit out of order, so
    # the server looks back a little: the client skips those), nothing from before the tab started.
    assert [f["seq"] for f in got if f["seq"] > last_seen] == [e["seq"] for e in missed]
    assert all(floor < f["seq"] for f in got) and len({f["seq"] for f in got}) == len(got)
    assert all(f["seq"] == last_seen for f in got if f["seq"] <= last_seen)
    assert any(f["type"] == "change_request.review_requested" and f["id"] == cr.pk for f in got)
    assert any(f["type"] == "design.changed" and f["design"] == design.pk for f in got)
    assert any(f["type"] == "resumed" and f["since"] == last_seen for f in resumed)
    live_events = [f for f in live if f["type"] == "design.changed"]
    assert len(live_events) == 1 and live_events[0]["seq"] > max(e["seq"] for e in missed)


def test_a_rolled_back_change_stores_no_event_and_old_events_are_pruned(settings, make_user):
    designer = make_user("prune-designer", "designer")
    design = DesignFactory.create(name="pruned")
    count = LiveEvent.objects.count()
    with pytest.raises(RuntimeError), change_context(source="api", user=designer):
        from django.db import transaction

        with transaction.atomic():
            edit(design, designer, "rolled back")
            raise RuntimeError("undo")
    assert LiveEvent.objects.count() == count
    edit(design, designer, "kept")
    assert LiveEvent.objects.count() == count + 1
    LiveEvent.objects.update(created=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    assert events_prune() == count + 1 and not LiveEvent.objects.exists()


def test_a_new_socket_is_not_sent_what_happened_before_it_opened(own_redis, make_user):
    watcher = make_user("fresh-watcher", "viewer")
    designer = make_user("fresh-designer", "designer")
    design = DesignFactory.create(name="before")
    edit(design, designer, "before the socket")
    headers = session_headers(watcher)

    async def run() -> list[dict[str, Any]]:
        communicator, _hello = await open_socket(headers)
        await communicator.send_json_to({"action": "watch", "design": design.pk})
        frames = await frames_for(communicator, 3.0)  # the socket's own read of stored events runs meanwhile
        await communicator.disconnect()
        return frames

    assert [f["type"] for f in async_to_sync(run)()] == ["watched"]
