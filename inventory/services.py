"""Writes of the inventory beyond plain create/update/delete: host-key trust and what contact with a host found.

Host-key trust is never implicit. The first contact with a host only reads the key it offers
(:func:`managed_host_key_offered`); an operator then confirms its fingerprint, or pastes the key they got out
of band (:func:`managed_host_key_pin`). A host that later offers another key is stopped
(:func:`managed_host_key_mismatch`): nothing connects to it with credentials until an operator re-pins it,
which is audited like every change of a managed host (the model is audited by signals, in the same
transaction). Each function is one transaction.
"""

from __future__ import annotations

from typing import Any

import asyncssh
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from project.roles import user_can

from .choices import HostKeyState
from .models import ManagedHost

__all__ = [
    "fingerprint_of",
    "managed_host_contact_failed",
    "managed_host_facts_record",
    "managed_host_key_mismatch",
    "managed_host_key_offered",
    "managed_host_key_pin",
]


def fingerprint_of(public_key: str) -> str:
    """The SHA256 fingerprint of an OpenSSH public key line (``SHA256:...``), as ``ssh-keygen -l`` shows it."""
    return asyncssh.import_public_key(public_key).get_fingerprint("sha256")


def _normalised_key(public_key: str) -> str:
    """``public_key`` as one OpenSSH line without a comment; a ValidationError when it is not a public key."""
    try:
        key = asyncssh.import_public_key(public_key.strip())
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise ValidationError({"public_key": [f"not an SSH public key: {exc}"]}) from exc
    algorithm, blob = key.export_public_key("openssh").decode().split()[:2]  # the comment is not part of the key
    return f"{algorithm} {blob}"


def _locked(host: ManagedHost) -> ManagedHost:
    return ManagedHost.objects.select_for_update().get(pk=host.pk)


def _save(host: ManagedHost, *fields: str) -> None:
    host.version += 1
    host.save(update_fields=[*fields, "version", "last_updated"])


@transaction.atomic
def managed_host_key_offered(*, host: ManagedHost, public_key: str) -> ManagedHost:
    """Record the key ``host`` offered at a contact that sent no credential.

    Not pinned yet: the key waits for confirmation (``offered``). Pinned and the same: nothing changes.
    Pinned and different: the host is stopped (``changed``).
    """
    host = _locked(host)
    key = _normalised_key(public_key)
    if host.host_key_state in (HostKeyState.PINNED, HostKeyState.CHANGED) and host.host_key:
        if _normalised_key(host.host_key) == key:
            return host
        host.host_key_state = HostKeyState.CHANGED
    else:
        host.host_key_state = HostKeyState.OFFERED
    if host.offered_host_key == key and host.host_key_state != HostKeyState.CHANGED:
        return host
    host.offered_host_key = key
    _save(host, "host_key_state", "offered_host_key")
    return host


@transaction.atomic
def managed_host_key_mismatch(*, name: str, offered_key: str) -> None:
    """The host called ``name`` offered ``offered_key`` instead of its pinned key: stop it until re-pinned.

    Called by the SSH transport's key store when a connection was refused (no credential was sent).
    """
    host = ManagedHost.objects.select_for_update().filter(name=name).first()
    if host is None:
        return
    key = _normalised_key(offered_key)
    if host.host_key_state == HostKeyState.CHANGED and host.offered_host_key == key:
        return
    host.host_key_state = HostKeyState.CHANGED
    host.offered_host_key = key
    host.last_contact_at = timezone.now()
    host.last_contact_error = (
        f"the host offered key {fingerprint_of(key)}, not the pinned {fingerprint_of(host.host_key)}: "
        "every connection to it is stopped until an operator checks the new key and re-pins it"
    )
    _save(host, "host_key_state", "offered_host_key", "last_contact_at", "last_contact_error")


@transaction.atomic
def managed_host_key_pin(
    *, host: ManagedHost, user: Any, fingerprint: str = "", public_key: str = "", reason: str = ""
) -> ManagedHost:
    """Pin a host key: confirm the offered key by its ``fingerprint``, or pin a pasted ``public_key``.

    Confirming needs the fingerprint typed or pasted back (an explicit act, not a click on "accept"). Replacing
    a key that was pinned (a re-pin, e.g. after a reinstall) also needs a ``reason``; the audit history keeps
    the old and the new key, who did it and when.
    """
    if not user_can(user, "edit_inventory"):
        raise PermissionDenied("you need the operator role to pin host keys")
    host = _locked(host)
    if public_key:
        key = _normalised_key(public_key)
        if fingerprint and fingerprint.strip() != fingerprint_of(key):
            raise ValidationError({"fingerprint": ["the fingerprint does not match the pasted key"]})
    else:
        if not host.offered_host_key:
            raise ValidationError(
                {"fingerprint": ["no key was offered yet: test the connection first, or paste the host's public key"]}
            )
        offered = fingerprint_of(host.offered_host_key)
        if fingerprint.strip() != offered:
            raise ValidationError({"fingerprint": [f"does not match the key the host offered ({offered})"]})
        key = host.offered_host_key
    replacing = bool(host.host_key) and _normalised_key(host.host_key) != key
    if replacing and not reason.strip():
        raise ValidationError({"reason": ["replacing a pinned key needs a reason (it is kept in the audit history)"]})
    host.host_key = key
    host.host_key_state = HostKeyState.PINNED
    host.host_key_pinned_at = timezone.now()
    host.offered_host_key = ""
    host.last_contact_error = f"re-pinned: {reason.strip()}" if replacing else ""
    _save(host, "host_key", "host_key_state", "host_key_pinned_at", "offered_host_key", "last_contact_error")
    return host


@transaction.atomic
def managed_host_facts_record(*, host: ManagedHost, facts: dict[str, Any]) -> ManagedHost:
    """Keep what a test connection found (release, ``uname``, tools, interfaces); the contact succeeded."""
    host = _locked(host)
    now = timezone.now()
    host.facts = facts
    host.freebsd_release = str(facts.get("freebsd_version", ""))[:32]
    host.facts_gathered_at = now
    host.last_contact_at = now
    host.last_contact_error = ""
    _save(host, "facts", "freebsd_release", "facts_gathered_at", "last_contact_at", "last_contact_error")
    return host


@transaction.atomic
def managed_host_contact_failed(*, host: ManagedHost, error: str) -> ManagedHost:
    """Keep why the last contact with ``host`` failed (shown on its page); facts are left as they were."""
    host = _locked(host)
    host.last_contact_at = timezone.now()
    host.last_contact_error = error[:2000]
    _save(host, "last_contact_at", "last_contact_error")
    return host
