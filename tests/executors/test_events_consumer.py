"""Live events over the websocket, through the real ASGI app and a real Redis channel layer."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.test import Client

from core.audit import change_context
from tests.factories import DesignFactory
from topology.models import Design


@pytest.fixture
def live_events(settings, redis_url):
    """Point the channel layer and event publishing at the test Redis."""
    settings.REDIS_URL = redis_url
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [redis_url]}}
    }
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def session_headers(user) -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    return [(b"cookie", cookie.encode()), (b"origin", b"http://testserver"), (b"host", b"testserver")]


async def _connect(headers):
    from project.asgi import application

    communicator = WebsocketCommunicator(application, "/ws/events/", headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


@pytest.mark.django_db(transaction=True)
def test_anonymous_websocket_is_refused(live_events):
    async def run():
        communicator, connected, code = await _connect([(b"origin", b"http://testserver")])
        await communicator.disconnect()
        return connected, code

    connected, code = async_to_sync(run)()
    assert not connected
    assert code == 4403


@pytest.mark.django_db(transaction=True)
def test_watcher_sees_changes_made_by_someone_else_after_they_commit(live_events, make_user):
    watcher = make_user("watcher", "viewer")
    editor = make_user("editor", "designer")
    design = DesignFactory.create(name="watched")
    headers = session_headers(watcher)

    def edit():
        with change_context(source="api", user=editor):
            d = Design.objects.get(pk=design.pk)
            d.description = "edited live"
            d.save()

    async def run():
        communicator, connected, _ = await _connect(headers)
        assert connected
        assert (await communicator.receive_json_from(timeout=5))["type"] == "hello"
        await communicator.send_json_to({"action": "watch", "design": design.pk})
        assert await communicator.receive_json_from(timeout=5) == {"type": "watched", "design": design.pk}
        await sync_to_async(edit)()
        event = await communicator.receive_json_from(timeout=5)
        await communicator.send_json_to({"action": "watch", "design": 999999})
        error = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return event, error

    event, error = async_to_sync(run)()
    assert event["type"] == "design.changed"
    assert (event["design"], event["object_type"], event["action"], event["user"]) == (
        design.pk, "design", "update", "editor",
    )  # fmt: skip
    assert error == {"type": "error", "detail": "no design 999999"}


@pytest.mark.django_db(transaction=True)
def test_rolled_back_change_sends_nothing(live_events, make_user):
    watcher = make_user("watcher2", "viewer")
    design = DesignFactory.create(name="quiet")
    headers = session_headers(watcher)

    def failed_edit():
        from django.db import transaction

        try:
            with transaction.atomic():
                d = Design.objects.get(pk=design.pk)
                d.description = "never"
                d.save()
                raise RuntimeError("abort")
        except RuntimeError:
            pass

    async def run():
        communicator, _, _ = await _connect(headers)
        await communicator.receive_json_from(timeout=5)
        await communicator.send_json_to({"action": "watch", "design": design.pk})
        await communicator.receive_json_from(timeout=5)
        await sync_to_async(failed_edit)()
        nothing = await communicator.receive_nothing(timeout=0.5)
        await communicator.disconnect()
        return nothing

    assert async_to_sync(run)() is True
