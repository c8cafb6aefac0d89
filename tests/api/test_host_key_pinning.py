"""Pinning a managed host's key through the API, without contacting it: a pasted key, fingerprints, roles."""

from __future__ import annotations

import asyncssh
import pytest

from inventory.models import ManagedHost
from inventory.services import fingerprint_of

pytestmark = pytest.mark.django_db


def _key() -> str:
    return asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode().strip()


def test_an_operator_pins_a_pasted_key_before_first_contact(env, client_for):
    key = _key()
    answer = client_for("operator").post(
        f"/api/managed-hosts/{env.managed_host.pk}/pin-key/", {"public_key": key + " admin@laptop"}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["host_key_state"] == "pinned" and body["host_key_fingerprint"] == fingerprint_of(key)
    assert body["host_key"] == key  # the comment is not part of the pinned key


def test_a_pasted_key_whose_fingerprint_disagrees_is_refused_and_nothing_is_pinned(env, client_for):
    answer = client_for("operator").post(
        f"/api/managed-hosts/{env.managed_host.pk}/pin-key/",
        {"public_key": _key(), "fingerprint": fingerprint_of(_key())},
        format="json",
    )
    assert answer.status_code == 400 and "fingerprint" in answer.json()
    assert ManagedHost.objects.get(pk=env.managed_host.pk).host_key_state == "unknown"


def test_confirming_needs_an_offered_key_and_garbage_is_not_a_key(env, client_for):
    operator = client_for("operator")
    url = f"/api/managed-hosts/{env.managed_host.pk}/pin-key/"
    assert "test the connection first" in str(operator.post(url, {"fingerprint": "SHA256:x"}, format="json").json())
    assert "not an SSH public key" in str(operator.post(url, {"public_key": "ssh-rsa nope"}, format="json").json())
    assert operator.post(url, {}, format="json").status_code == 400


@pytest.mark.parametrize("role", ["viewer", "designer", "approver"])
def test_only_operators_pin_keys_and_test_connections(env, client_for, role):
    client = client_for(role)
    assert (
        client.post(
            f"/api/managed-hosts/{env.managed_host.pk}/pin-key/", {"public_key": _key()}, format="json"
        ).status_code
        == 403
    )
    assert client.post(f"/api/managed-hosts/{env.managed_host.pk}/test-connection/").status_code == 403


def test_key_state_and_contact_fields_are_read_only(env, client_for):
    host = env.managed_host
    answer = client_for("operator").patch(
        f"/api/managed-hosts/{host.pk}/",
        {"host_key_state": "pinned", "host_key": _key(), "facts": {"x": 1}, "last_contact_error": "no"},
        format="json",
    )
    assert answer.status_code == 200
    host.refresh_from_db()
    assert (host.host_key_state, host.host_key, host.facts, host.last_contact_error) == ("unknown", "", {}, "")
