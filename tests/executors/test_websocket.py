"""The live-events websocket holds and refuses who it must: idle sockets stay open, only the app's own origin
(scheme, host and port) and users with a role get one, a frame that is not JSON gets an error frame, and a
logout or the loss of every role closes the socket within 5 s. Real ASGI app, real Redis channel layer."""

from __future__ import annotations

import time

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Group
from django.test import Client

from topology.events import user_group

pytestmark = pytest.mark.django_db(transaction=True)


def login_cookie(user) -> tuple[Client, bytes]:
    client = Client()
    client.force_login(user)
    return client, f"sessionid={client.cookies['sessionid'].value}".encode()


async def connect(cookie: bytes | None, origin: bytes | None = b"http://testserver", host: bytes = b"testserver"):
    from project.asgi import application

    headers = [(b"host", host)]
    if origin is not None:
        headers.append((b"origin", origin))
    if cookie is not None:
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(application, "/ws/events/", headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


def test_idle_socket_stays_open_and_gets_an_event_after_35_seconds(live_events, make_user):
    user = make_user("idle", "viewer")
    _, cookie = login_cookie(user)

    async def run():
        communicator, connected, _ = await connect(cookie)
        assert connected
        assert (await communicator.receive_json_from(timeout=5))["type"] == "hello"
        started = time.monotonic()
        heartbeats = 0
        # 35 s without any event; only the server's heartbeats arrive meanwhile (and the socket must not close).
        while time.monotonic() - started < 35:
            # (receive_nothing waits without giving up on the app; a timed-out receive would cancel it)
            if await communicator.receive_nothing(timeout=1, interval=0.05):
                continue
            frame = await communicator.receive_json_from(timeout=1)
            assert frame == {"type": "heartbeat"}, frame
            heartbeats += 1
        await get_channel_layer().group_send(
            user_group(user.pk), {"type": "event.forward", "event": {"type": "after.idle", "n": 1}}
        )
        event = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return event, heartbeats

    event, heartbeats = async_to_sync(run)()
    assert event == {"type": "after.idle", "n": 1}
    assert heartbeats >= 1


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        (b"http://localhost:1", b"localhost:8000"),  # same host, another port
        (b"http://localhost", b"localhost:8000"),  # default port 80 is not 8000
        (b"https://localhost:8000", b"localhost:8000"),  # another scheme
        (b"http://evil.example:8000", b"localhost:8000"),
        (b"null", b"localhost:8000"),
        (None, b"localhost:8000"),  # no Origin: not the app's pages
        (b"http://evil.example", b"evil.example"),  # same origin, but not an allowed host
    ],
)
def test_socket_from_another_origin_is_refused(live_events, make_user, origin, host):
    _, cookie = login_cookie(make_user("origin", "admin"))

    async def run():
        communicator, connected, code = await connect(cookie, origin=origin, host=host)
        await communicator.disconnect()
        return connected, code

    assert async_to_sync(run)() == (False, 4403)


def test_socket_from_the_same_origin_and_port_is_accepted(live_events, make_user):
    _, cookie = login_cookie(make_user("same", "viewer"))

    async def run():
        communicator, connected, _ = await connect(cookie, origin=b"http://localhost:8000", host=b"localhost:8000")
        hello = await communicator.receive_json_from(timeout=5) if connected else None
        await communicator.disconnect()
        return connected, hello

    connected, hello = async_to_sync(run)()
    assert connected and hello["type"] == "hello" and hello["user"] == "same"


def test_anonymous_and_roleless_sockets_are_refused(live_events, make_user):
    _, roleless = login_cookie(make_user("nobody"))

    async def run():
        results = []
        for cookie in (None, roleless):
            communicator, connected, code = await connect(cookie)
            await communicator.disconnect()
            results.append((connected, code))
        return results

    assert async_to_sync(run)() == [(False, 4403), (False, 4403)]


def test_frames_that_are_not_json_objects_get_an_error_frame_and_the_socket_stays(live_events, make_user):
    _, cookie = login_cookie(make_user("fuzzy", "viewer"))

    async def run():
        communicator, _, _ = await connect(cookie)
        await communicator.receive_json_from(timeout=5)
        answers = []
        for frame in ("not json", "{", "[" * 100_000, '"just a string"', "[1, 2]", '{"action": 3}', " "):
            await communicator.send_to(text_data=frame)
            answers.append(await communicator.receive_json_from(timeout=5))
        await communicator.send_to(bytes_data=b"\x00\x01")
        answers.append(await communicator.receive_json_from(timeout=5))
        await communicator.send_json_to({"action": "ping"})
        pong = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return answers, pong

    answers, pong = async_to_sync(run)()
    assert all(a["type"] == "error" and a["detail"] for a in answers), answers
    assert pong == {"type": "pong"}


def test_logout_closes_the_open_socket_within_5_seconds(live_events, make_user):
    user = make_user("leaving", "approver")
    client, cookie = login_cookie(user)

    async def run():
        communicator, connected, _ = await connect(cookie)
        assert connected
        await communicator.receive_json_from(timeout=5)
        await sync_to_async(client.logout)()
        started = time.monotonic()
        closing = await communicator.receive_json_from(timeout=5)
        closed = await communicator.receive_output(timeout=5)
        return closing, closed, time.monotonic() - started

    closing, closed, seconds = async_to_sync(run)()
    assert closing["type"] == "session.closed"
    assert closed == {"type": "websocket.close", "code": 4401}
    assert seconds < 5


def test_losing_every_role_closes_the_open_socket_within_5_seconds(live_events, make_user):
    user = make_user("demoted", "viewer")
    _, cookie = login_cookie(user)

    async def run():
        communicator, _, _ = await connect(cookie)
        await communicator.receive_json_from(timeout=5)
        await sync_to_async(lambda: user.groups.remove(Group.objects.get(name="viewer")))()
        started = time.monotonic()
        closing = await communicator.receive_json_from(timeout=5)
        closed = await communicator.receive_output(timeout=5)
        return closing, closed, time.monotonic() - started

    closing, closed, seconds = async_to_sync(run)()
    assert closing["type"] == "session.closed" and closed["code"] == 4401
    assert seconds < 5
