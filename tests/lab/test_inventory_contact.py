"""Test connection of a registered host against a real sshd: key read without credentials, explicit pinning,
facts, and a changed key that stops everything for the host until an audited re-pin."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.contenttypes.models import ContentType

from core.models.audit import AuditEntry
from inventory.models import Credential, ManagedHost
from inventory.services import fingerprint_of

from .sshd import NamespacedSshd, start_namespaced_sshd, stop_namespaced_sshd
from .support import needs_lab, unique_name

pytestmark = [needs_lab, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sshd(tmp_path, settings) -> Iterator[NamespacedSshd]:
    """A real sshd in a namespace of its own; the app's management connections are opened inside it."""
    server = start_namespaced_sshd(unique_name("jninv"), tmp_path / "sshd")
    settings.SSH_MANAGEMENT_NETNS = server.netns
    try:
        yield server
    finally:
        stop_namespaced_sshd(server)


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
    answer = operator.post(f"/api/managed-hosts/{host.pk}/test-connection/").json()
    assert answer["ok"] is False and answer["error"] == ""
    assert answer["host_key_state"] == "offered"
    assert answer["offered_fingerprint"] == fingerprint_of(sshd.public_host_key())
    assert _auth_attempts(sshd.log()) == []  # no user name, key or password reached the host
    host.refresh_from_db()
    assert host.host_key == "" and host.facts == {}


def test_pinning_needs_the_offered_fingerprint_and_then_the_login_gathers_facts(sshd, host, client_for):
    operator = client_for("operator")
    operator.post(f"/api/managed-hosts/{host.pk}/test-connection/")
    wrong = operator.post(f"/api/managed-hosts/{host.pk}/pin-key/", {"fingerprint": "SHA256:nope"}, format="json")
    assert wrong.status_code == 400 and "does not match" in str(wrong.json())
    right = fingerprint_of(sshd.public_host_key())
    pinned = operator.post(f"/api/managed-hosts/{host.pk}/pin-key/", {"fingerprint": right}, format="json").json()
    assert pinned["host_key_state"] == "pinned" and pinned["host_key_fingerprint"] == right

    answer = operator.post(f"/api/managed-hosts/{host.pk}/test-connection/").json()
    assert answer["ok"] is True, answer
    facts = answer["facts"]
    assert facts["system"] == "Linux" and facts["uname"].startswith("Linux")
    assert facts["interfaces"] == ["lo"]  # the namespace's own links, not the machine's
    assert "ip" in facts["tools"]
    detail = operator.get(f"/api/managed-hosts/{host.pk}/").json()
    assert detail["facts"] == facts and detail["last_contact_error"] == ""
    assert "secret" not in str(operator.get(f"/api/credentials/{host.credential_id}/").json()).replace("has_secret", "")


def test_a_changed_host_key_stops_the_host_until_an_operator_re_pins_it_with_a_reason(sshd, host, client_for):
    operator = client_for("operator")
    operator.post(f"/api/managed-hosts/{host.pk}/test-connection/")
    old = fingerprint_of(sshd.public_host_key())
    operator.post(f"/api/managed-hosts/{host.pk}/pin-key/", {"fingerprint": old}, format="json")
    sshd.new_host_key()
    log_before = len(sshd.log())

    answer = operator.post(f"/api/managed-hosts/{host.pk}/test-connection/").json()
    new = fingerprint_of(sshd.public_host_key())
    assert answer["ok"] is False and "does not match the pinned key" in answer["error"]
    assert answer["host_key_state"] == "changed" and answer["offered_fingerprint"] == new
    assert _auth_attempts(sshd.log()[log_before:]) == []  # refused before any credential was sent

    again = operator.post(f"/api/managed-hosts/{host.pk}/test-connection/").json()
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
    assert operator.post(f"/api/managed-hosts/{host.pk}/test-connection/").json()["ok"] is True

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
