"""Test connection of a registered host against a real sshd, as a job run by a real Celery worker on the host-work
queue: key read without credentials, explicit pinning, facts streamed into the job's log, and a changed key that
stops everything for the host until an audited re-pin."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from core.models.audit import AuditEntry
from executors.models import JobOutput
from inventory.models import Credential, ManagedHost
from inventory.services import fingerprint_of
from project.celery import app as celery_app
from tests.executors.conftest import (  # noqa: F401 - fixtures used below
    CeleryWorker,
    _point_app_at,
    live_events,
    redis_url,
    start_worker,
)

from .sshd import NamespacedSshd, start_namespaced_sshd, stop_namespaced_sshd
from .support import needs_lab, unique_name

pytestmark = [needs_lab, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sshd(tmp_path, settings, redis_url, live_events) -> Iterator[NamespacedSshd]:  # noqa: F811 - fixtures
    """A real sshd in a namespace of its own, and a worker of a host-work queue of its own whose management
    connections are opened inside that namespace (the test connection runs there, not in the web request)."""
    server = start_namespaced_sshd(unique_name("jninv"), tmp_path / "sshd")
    settings.SSH_MANAGEMENT_NETNS = server.netns
    queue = f"{unique_name('jninvq')}-hosts"
    worker: CeleryWorker | None = None
    previous = _point_app_at(celery_app, broker_url=redis_url, result_backend=redis_url, task_always_eager=False)
    try:
        worker = start_worker(
            redis_url=redis_url,
            queues=[queue],
            log_path=tmp_path / "worker.log",
            extra_env={"JAILNET_HOSTS_QUEUE": queue, "JAILNET_SSH_MANAGEMENT_NETNS": server.netns},
        )
        settings.JAILNET_HOSTS_QUEUE = queue
        yield server
    finally:
        if worker is not None:
            worker.stop()
        _point_app_at(celery_app, **previous)
        stop_namespaced_sshd(server)


def _test_connection(client, host: ManagedHost) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Queue the test connection (202 with its job), wait for the job to end, and return its result."""
    answer = client.post(f"/api/managed-hosts/{host.pk}/test-connection/")
    assert answer.status_code == 202, answer.content
    job = answer.json()
    assert job["kind"] == "host_test" and job["state"] == "queued"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # bounded: a test connection takes a second or two
        job = client.get(f"/api/jobs/{job['id']}/").json()
        if job["state"] not in ("queued", "running"):
            return {"job": job, **job["result"]}
        time.sleep(0.2)
    raise AssertionError(f"the test connection did not end in 60 s: {job}")


@pytest.fixture
def host(sshd: NamespacedSshd) -> ManagedHost:
    """The sshd registered as a managed host with its key credential."""
    credential = Credential(name="lab-key", username="root", kind="private-key")
    credential.set_secret(sshd.client_key)
    credential.save()
    return ManagedHost.objects.create(name="jh-1", management_address="127.0.0.1", credential=credential)


def _auth_attempts(log: str) -> list[str]:
    return [line for line in log.splitlines() if "publickey" in line or "Accepted" in line or "password" in line]


def test_first_contact_reads_the_key_without_sending_a_credential_and_waits_for_confirmation(sshd, host, client_for):
    operator = client_for("operator")
    answer = _test_connection(operator, host)
    assert answer["ok"] is False and answer["error"] == ""
    assert answer["host_key_state"] == "offered"
    assert answer["offered_fingerprint"] == fingerprint_of(sshd.public_host_key())
    assert _auth_attempts(sshd.log()) == []  # no user name, key or password reached the host
    host.refresh_from_db()
    assert host.host_key == "" and host.facts == {}


def test_pinning_needs_the_offered_fingerprint_and_then_the_login_gathers_facts(sshd, host, client_for):
    operator = client_for("operator")
    _test_connection(operator, host)
    wrong = operator.post(f"/api/managed-hosts/{host.pk}/pin-key/", {"fingerprint": "SHA256:nope"}, format="json")
    assert wrong.status_code == 400 and "does not match" in str(wrong.json())
    right = fingerprint_of(sshd.public_host_key())
    pinned = operator.post(f"/api/managed-hosts/{host.pk}/pin-key/", {"fingerprint": right}, format="json").json()
    assert pinned["host_key_state"] == "pinned" and pinned["host_key_fingerprint"] == right

    answer = _test_connection(operator, host)
    assert answer["ok"] is True, answer
    facts = answer["facts"]
    assert facts["system"] == "Linux" and facts["uname"].startswith("Linux")
    assert answer["job"]["state"] == "succeeded" and answer["job"]["steps"][0]["name"] == host.name
    log = "".join(JobOutput.objects.filter(job_id=answer["job"]["id"]).order_by("seq").values_list("data", flat=True))
    assert "@@fact uname" in log and "logging in" in log  # the facts script's lines, streamed into the job
    assert facts["interfaces"] == ["lo"]  # the namespace's own links, not the machine's
    assert "ip" in facts["tools"]
    detail = operator.get(f"/api/managed-hosts/{host.pk}/").json()
    assert detail["facts"] == facts and detail["last_contact_error"] == ""
    assert "secret" not in str(operator.get(f"/api/credentials/{host.credential_id}/").json()).replace("has_secret", "")


def test_a_changed_host_key_stops_the_host_until_an_operator_re_pins_it_with_a_reason(sshd, host, client_for):
    operator = client_for("operator")
    _test_connection(operator, host)
    old = fingerprint_of(sshd.public_host_key())
    operator.post(f"/api/managed-hosts/{host.pk}/pin-key/", {"fingerprint": old}, format="json")
    sshd.new_host_key()
    log_before = len(sshd.log())

    answer = _test_connection(operator, host)
    new = fingerprint_of(sshd.public_host_key())
    assert answer["ok"] is False and "does not match the pinned key" in answer["error"]
    assert answer["job"]["state"] == "failed" and "does not match the pinned key" in answer["job"]["message"]
    assert answer["host_key_state"] == "changed" and answer["offered_fingerprint"] == new
    assert _auth_attempts(sshd.log()[log_before:]) == []  # refused before any credential was sent

    again = _test_connection(operator, host)
    assert again["host_key_state"] == "changed" and new in again["error"]
    assert (
        operator.post(f"/api/managed-hosts/{host.pk}/pin-key/", {"fingerprint": new}, format="json").status_code == 400
    )
    assert (
        client_for("designer")
        .post(f"/api/managed-hosts/{host.pk}/pin-key/", {"fingerprint": new, "reason": "x"}, format="json")
        .status_code
        == 403
    )
    repinned = operator.post(
        f"/api/managed-hosts/{host.pk}/pin-key/", {"fingerprint": new, "reason": "reinstalled"}, format="json"
    ).json()
    assert repinned["host_key_state"] == "pinned" and repinned["host_key_fingerprint"] == new
    assert _test_connection(operator, host)["ok"] is True

    entries = AuditEntry.objects.filter(
        object_type=ContentType.objects.get_for_model(ManagedHost), object_id=host.pk
    ).order_by("time", "id")
    repin = [
        e
        for e in entries
        if e.before and e.after and e.before["host_key"] and e.before["host_key"] != e.after["host_key"]
    ]
    assert len(repin) == 1 and repin[0].user_name == "operator-user"
    after = repin[0].after or {}
    assert after["host_key_state"] == "pinned" and after["last_contact_error"] == "re-pinned: reinstalled"
