"""Jobs without a lab: one per design at a time (409 naming the holder), cancel, the reaper, the API, and output
that is stored, numbered and sent to followers without gap or duplicate (real Redis channel layer)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from core.audit import change_context
from core.models import AuditEntry
from executors.jobs.events import job_group
from executors.jobs.log import JobLog, output_message
from executors.jobs.services import JobConflict, job_cancel, job_create, job_start, jobs_reap
from executors.models import Job, JobKind, JobOutput, JobState
from topology.models import Design

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def design():
    return Design.objects.create(name="jobs-design")


def queued_job(design, user=None, kind=JobKind.LAB_UP) -> Job:
    with change_context(source="api", user=user):
        return job_create(kind=kind, design=design, enqueue=False)


def test_second_job_on_a_design_is_refused_naming_who_holds_it(design, make_user):
    alice = make_user("alice", "operator")
    first = queued_job(design, alice)
    with pytest.raises(JobConflict, match=f"job {first.pk} .*asked for by alice"):
        queued_job(design, make_user("bob", "operator"), JobKind.LAB_DOWN)
    # Another design is free.
    other = Design.objects.create(name="other-design")
    assert queued_job(other).state == JobState.QUEUED


def test_api_answers_409_with_the_holder_and_202_with_the_job(design, client_for, celery_worker):
    from executors.models import Lab

    operator = client_for("operator")
    with pytest.MonkeyPatch.context() as patch:  # no worker here: keep the job queued
        patch.setattr("executors.jobs.services.hosts_queue", lambda: "jailnet-test-nobody-consumes-this")
        first = operator.post("/api/labs/up/", {"design": design.pk}, format="json")
        assert first.status_code == 202, first.content
        assert first.json()["state"] == "queued" and first.json()["requested_by_name"] == "operator-user"
        lab = Lab.objects.create(design=design, lab_id="jnx")
        second = operator.post(f"/api/labs/{lab.pk}/down/")
    assert second.status_code == 409
    assert second.json()["job"] == first.json()["id"] and second.json()["held_by"] == "operator-user"
    assert "busy" in second.json()["detail"]


def test_cancelling_a_queued_job_ends_it_and_frees_the_design(design, make_user):
    job = queued_job(design)
    with change_context(source="api", user=make_user("canceller", "operator")):
        job = job_cancel(job=job)
    assert job.state == JobState.CANCELLED and job.cancel_requested_by == "canceller"
    assert job_start(job_id=job.pk) is None  # its task, delivered later, does nothing
    assert queued_job(design).state == JobState.QUEUED


def test_a_job_whose_worker_stopped_heart_beating_is_interrupted(design):
    started = job_start(job_id=queued_job(design).pk)
    assert started is not None and started.state == JobState.RUNNING
    job = started
    assert jobs_reap() == []  # it has a fresh heartbeat
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(seconds=13))
    (reaped,) = jobs_reap()
    assert reaped.pk == job.pk and reaped.state == JobState.INTERRUPTED
    assert "stopped answering" in reaped.message
    states = [
        (e.after or {})["state"]
        for e in AuditEntry.objects.filter(object_type__model="job", object_id=job.pk).order_by("id")
    ]
    assert states == ["queued", "running", "interrupted"]


def test_the_workers_reap_on_their_own_and_have_what_the_job_left_on_hosts_stopped(design, jobs_on_worker):
    """Nobody reads the jobs API: the real worker's periodic reaper marks the job interrupted within 30 s of its
    last heartbeat and queues the stop of the sessions it recorded on hosts (here its lab is gone: said so)."""
    job = job_start(job_id=queued_job(design, kind=JobKind.LAB_EXEC).pk)
    assert job is not None
    stale = timezone.now() - dt.timedelta(seconds=13)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=stale, remote_sessions=[{"host": "h1", "session": 4242}])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state == JobState.INTERRUPTED and "leftovers" in job.result:
            break
        time.sleep(0.2)
    assert job.state == JobState.INTERRUPTED, jobs_on_worker.log()[-3000:]
    assert job.result["leftovers"] == [{"host": "h1", "session": 4242, "outcome": "lab gone"}]
    assert job.remote_sessions == [] and job.message.endswith("what it left running was stopped: h1 (lab gone)")


def test_jobs_api_lists_filters_and_never_lets_a_viewer_cancel(design, client_for, django_assert_max_num_queries):
    for n in range(6):
        d = Design.objects.create(name=f"jobs-list-{n}")
        job = queued_job(d, kind=JobKind.LAB_CHECK if n % 2 else JobKind.LAB_UP)
    viewer = client_for("viewer")
    with django_assert_max_num_queries(8):
        listed = viewer.get("/api/jobs/").json()
    assert listed["count"] == 6
    assert viewer.get("/api/jobs/?kind=lab_check").json()["count"] == 3
    assert viewer.get("/api/jobs/?design=jobs-list-0").json()["count"] == 1
    assert viewer.get("/api/jobs/?state=running").json()["count"] == 0
    assert viewer.get("/api/jobs/?kind=nonsense").status_code == 400
    assert viewer.post(f"/api/jobs/{job.pk}/cancel/").status_code == 403
    assert client_for("anonymous").get("/api/jobs/").status_code in (401, 403)
    operator = client_for("operator")
    assert operator.post(f"/api/jobs/{job.pk}/cancel/").json()["state"] == "cancelled"
    assert operator.post(f"/api/jobs/{job.pk}/cancel/").status_code == 409


def write_output(job: Job, lines: list[str]) -> None:
    with JobLog(job.pk, first_seq=job.last_seq + 1) as log:
        for line in lines:
            log.write(line + "\n", host="h1")


def test_output_is_stored_numbered_and_served_after_a_sequence_number(design, client_for):
    job = job_start(job_id=queued_job(design).pk)
    assert job is not None
    write_output(job, [f"line {n}" for n in range(1000)])
    job.refresh_from_db()
    chunks = list(JobOutput.objects.filter(job=job).order_by("seq"))
    assert [c.seq for c in chunks] == list(range(1, len(chunks) + 1)) and job.last_seq == len(chunks)
    text = "".join(c.data for c in chunks)
    assert text == "".join(f"line {n}\n" for n in range(1000)) and job.output_bytes == len(text)
    viewer = client_for("viewer")
    page = viewer.get(f"/api/jobs/{job.pk}/output/?since=0&limit=1").json()
    assert page["last"] == 1 and page["more"] is (len(chunks) > 1)
    log = viewer.get(f"/api/jobs/{job.pk}/log/")
    assert b"".join(log.streaming_content).decode() == text
    assert "attachment" in log["Content-Disposition"]


def test_a_silent_job_sees_stop_before_its_next_heartbeat(design, make_user):
    """A capture that prints nothing still stops promptly: the log looks for a Stop between heartbeats."""
    job = job_start(job_id=queued_job(design).pk)
    assert job is not None
    with JobLog(job.pk, first_seq=1) as log:
        started = Job.objects.get(pk=job.pk).heartbeat_at
        with change_context(source="api", user=make_user("stopper", "operator")):
            job_cancel(job=job)
        seen = log.cancelled.wait(timeout=10)  # bounded; a heartbeat is 2 s away at most
        heartbeat = Job.objects.get(pk=job.pk).heartbeat_at
    assert seen, "the log never noticed the Stop"
    assert heartbeat == started, "noticed only at a heartbeat: a silent job would run on up to 2 s after Stop"


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def follower(cookie: bytes):
    from project.asgi import application

    communicator = WebsocketCommunicator(
        application, "/ws/events/", headers=[(b"host", b"testserver"), (b"origin", b"http://testserver"),
                                             (b"cookie", cookie)]
    )  # fmt: skip
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["type"] == "hello"
    return communicator


def test_follower_gets_stored_output_after_since_then_live_and_reads_dropped_batches_back(
    live_events, design, make_user
):
    job = job_start(job_id=queued_job(design).pk)
    assert job is not None
    # Three stored chunks; the follower has the first.
    for n in range(3):
        JobOutput.objects.create(job=job, seq=n + 1, host="h1", data=f"stored {n}\n", produced_at=0.0)
    # Chunks 4 and 5 are stored, but their live batch never reached this socket (dropped for a slow reader).
    for n in (3, 4):
        JobOutput.objects.create(job=job, seq=n + 1, host="h1", data=f"stored {n}\n", produced_at=0.0)
    cookie = session_cookie(make_user("follower", "viewer"))

    async def run():
        communicator = await follower(cookie)
        await communicator.send_json_to({"action": "follow", "job": job.pk, "since": 1})
        followed = await communicator.receive_json_from(timeout=5)
        replay = await communicator.receive_json_from(timeout=5)
        # A live batch with chunks 5 and 6: 5 was sent in the replay (no duplicate), 6 is new.
        live = [
            {"seq": 5, "host": "h1", "stream": "stdout", "data": "stored 4\n", "t": 0.0},
            {"seq": 6, "host": "h1", "stream": "stdout", "data": "live 5\n", "t": 0.0},
        ]
        await get_channel_layer().group_send(
            job_group(job.pk), {"type": "job.forward", "event": output_message(job.pk, live, [])}
        )
        first_live = await communicator.receive_json_from(timeout=5)
        # Then a batch starting at 9: 7 and 8 are read back from the database before it.
        await JobOutput.objects.abulk_create(
            [JobOutput(job=job, seq=s, host="h1", data=f"gap {s}\n", produced_at=0.0) for s in (6 + 1, 8)]
        )
        later = [{"seq": 9, "host": "h1", "stream": "stdout", "data": "live 9\n", "t": 0.0}]
        await get_channel_layer().group_send(
            job_group(job.pk), {"type": "job.forward", "event": output_message(job.pk, later, [])}
        )
        # (The gap and the batch after it may come in one frame: a socket behind gets what it lacks at once.)
        rest: list[dict] = []
        while not rest or rest[-1]["seq"] < 9:
            rest += (await communicator.receive_json_from(timeout=5))["chunks"]
        await communicator.disconnect()
        return followed, replay, first_live, rest

    followed, replay, first_live, rest = async_to_sync(run)()
    assert followed["type"] == "followed" and followed["state"]["state"] == "running"
    assert [c["seq"] for c in replay["chunks"]] == [2, 3, 4, 5]
    assert [c["seq"] for c in first_live["chunks"]] == [6]
    assert [c["seq"] for c in rest] == [7, 8, 9]
    assert [c["data"] for c in rest] == ["gap 7\n", "gap 8\n", "live 9\n"]


def test_following_a_job_that_does_not_exist_or_with_bad_arguments_is_an_error_frame(live_events, make_user):
    cookie = session_cookie(make_user("curious", "viewer"))

    async def run():
        communicator = await follower(cookie)
        answers = []
        for frame in ({"action": "follow", "job": 999999}, {"action": "follow", "job": "1"},
                      {"action": "follow", "job": 1, "since": -1}):  # fmt: skip
            await communicator.send_json_to(frame)
            answers.append(await communicator.receive_json_from(timeout=5))
        await communicator.disconnect()
        return answers

    answers = async_to_sync(run)()
    assert [a["type"] for a in answers] == ["error"] * 3
    assert answers[0]["detail"] == "no job 999999"


def test_a_dropped_last_batch_and_end_are_caught_up_without_a_later_message(live_events, design, make_user):
    """The last batch of a job, and its end, were dropped for this socket (its queue was full): no later message
    reveals the gap, so the socket's own sweep finds it (within a few seconds)."""
    job = job_start(job_id=queued_job(design).pk)
    assert job is not None
    cookie = session_cookie(make_user("sweeper", "viewer"))

    async def run():
        communicator = await follower(cookie)
        await communicator.send_json_to({"action": "follow", "job": job.pk, "since": 0})
        followed = await communicator.receive_json_from(timeout=5)
        # Stored, and the job ended, but nothing reaches this socket's queue.
        await JobOutput.objects.acreate(job=job, seq=1, host="h1", data="last words\n", produced_at=0.0)
        await Job.objects.filter(pk=job.pk).aupdate(last_seq=1, state=JobState.SUCCEEDED)
        output = await communicator.receive_json_from(timeout=6)
        end = await communicator.receive_json_from(timeout=6)
        await communicator.disconnect()
        return followed, output, end

    followed, output, end = async_to_sync(run)()
    assert followed["type"] == "followed"
    assert [c["data"] for c in output["chunks"]] == ["last words\n"]
    assert end["type"] == "job.state" and end["job"]["state"] == "succeeded"
