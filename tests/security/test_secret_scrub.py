"""A known secret is masked wherever the process writes it: job output rows and the frames followers get, a job's
message and result, SSH error messages, log records (message, arguments, traceback).

The lab test (``test_canary_lab.py``) shows the same against a real host that echoes the secrets, through a real
Celery worker; these tests pin each sink down without a lab.
"""

from __future__ import annotations

import logging

import asyncssh
import pytest
from asgiref.sync import async_to_sync

from core.audit import change_context
from core.secret_scrub import MASK, forget_secrets, fragments_of, remember_secret, scrub
from executors.jobs.log import JobLog
from executors.jobs.services import job_create, job_finish, job_start
from executors.models import Job, JobKind, JobOutput, JobStep
from executors.ssh import CommandFailed, CommandResult, SshError, SshTarget
from inventory.models import Credential
from tests.executors.test_jobs import follower, session_cookie
from topology.models import Design

PASSWORD = "canary-scrub-pw-5e0b1c"
KEY = asyncssh.generate_private_key("ssh-ed25519").export_private_key().decode()
KEY_LINES = [line for line in KEY.splitlines() if line and not line.startswith("-----")]


@pytest.fixture(autouse=True)
def fresh_memory():
    forget_secrets()
    yield
    forget_secrets()


def test_fragments_are_the_secret_its_long_lines_and_its_body():
    assert fragments_of("short") == []  # too short to mask without garbling every line
    assert fragments_of(PASSWORD) == [PASSWORD]
    parts = fragments_of(KEY)
    assert parts[0] == KEY.strip() and "".join(KEY_LINES) in parts and set(KEY_LINES) <= set(parts)


def test_a_credential_set_or_read_is_masked_afterwards_whole_or_by_line(db):
    line = f"host says: {PASSWORD} and then {KEY_LINES[0]}"
    assert scrub(line) == line  # nothing known yet
    credential = Credential(name="scrub-pw", kind="password", username="root")
    credential.set_secret(PASSWORD)
    credential.save()
    forget_secrets()
    Credential.objects.get(pk=credential.pk).get_secret()  # a worker that only decrypts
    assert scrub(line) == f"host says: {MASK} and then {KEY_LINES[0]}"
    SshTarget(host="192.0.2.1", private_key=KEY)  # what the transport is handed is remembered too
    assert scrub(line) == f"host says: {MASK} and then {MASK}"
    assert scrub(f"x{KEY.strip()}y") == f"x{MASK}y"  # the whole key at once, not line by line
    assert scrub(f"pre-{PASSWORD.upper()}") == f"pre-{PASSWORD.upper()}"  # a different string stays


def test_ssh_errors_and_failed_commands_mask_the_secret():
    remember_secret(PASSWORD)
    assert str(SshError(f"Permission denied ({PASSWORD})")) == f"Permission denied ({MASK})"
    failed = CommandFailed(CommandResult(("sh", "-s"), 3, "", f"sudo: {PASSWORD}: command not found"))
    assert PASSWORD not in str(failed) and MASK in str(failed)


def test_log_records_mask_message_arguments_and_traceback(caplog):
    remember_secret(PASSWORD)
    logger = logging.getLogger("jailnet.test.scrub")
    with caplog.at_level(logging.DEBUG, logger="jailnet.test.scrub"):
        logger.info("connecting with %s", PASSWORD)
        logger.warning(f"inline {PASSWORD}")
        try:
            raise ValueError(f"bad password {PASSWORD}")
        except ValueError:
            logger.exception("failed")
    text = caplog.text
    assert PASSWORD not in text, text
    assert text.count(MASK) >= 3
    assert [r.getMessage() for r in caplog.records][:2] == [f"connecting with {MASK}", f"inline {MASK}"]


@pytest.mark.django_db(transaction=True)
def test_job_output_steps_message_and_result_are_stored_and_sent_masked(live_events, make_user):
    remember_secret(PASSWORD)
    remember_secret(KEY)
    design = Design.objects.create(name="scrub-jobs")
    with change_context(source="api", user=None):
        job = job_start(job_id=job_create(kind=JobKind.LAB_UP, design=design, enqueue=False).pk)
    assert job is not None
    cookie = session_cookie(make_user("scrub-follower", "viewer"))

    def produce() -> None:
        with JobLog(job.pk, first_seq=job.last_seq + 1) as log:
            log.write(f"+ sshpass -p {PASSWORD} ssh root@h1\n", host="h1")
            # A secret cut over two writes of one line still reaches the store as one chunk.
            log.write(f"key: {KEY_LINES[0][:20]}", host="h1")
            log.write(f"{KEY_LINES[0][20:]}\n", host="h1")
            log.step("h1", state="failed", message=f"login with {PASSWORD} refused")
        job_finish(job_id=job.pk, state="failed", message=f"h1: {PASSWORD} refused", result={"why": [PASSWORD]})

    async def run() -> list[dict]:
        from asgiref.sync import sync_to_async

        communicator = await follower(cookie)
        await communicator.send_json_to({"action": "follow", "job": job.pk, "since": 0})
        frames = [await communicator.receive_json_from(timeout=5)]
        await sync_to_async(produce)()
        while not await communicator.receive_nothing(timeout=1.5):
            frames.append(await communicator.receive_json_from(timeout=5))
        await communicator.disconnect()
        return frames

    frames = async_to_sync(run)()
    text = " ".join(map(str, frames))
    assert "job.output" in text and MASK in text
    stored = "".join(JobOutput.objects.filter(job=job).values_list("data", flat=True))
    assert stored.count(MASK) == 2, stored
    job.refresh_from_db()
    steps = list(JobStep.objects.filter(job=job).values_list("message", flat=True))
    everything = f"{text} {stored} {steps} {job.message} {job.result} {Job.objects.filter(pk=job.pk).values()}"
    for secret in (PASSWORD, *KEY_LINES):
        assert secret not in everything
    assert job.message == f"h1: {MASK} refused" and job.result == {"why": [MASK]}
