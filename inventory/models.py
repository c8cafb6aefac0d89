"""Inventory models: credentials and the machines designs are deployed to."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models

from core.models.base import BaseModel
from core.secret_scrub import remember_secret

from .choices import CredentialKind, HostKeyState
from .crypto import decrypt_secret, encrypt_secret


class Credential(BaseModel):
    """An SSH password or private key, encrypted at rest. The secret is never returned by the API."""

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=CredentialKind.choices, default=CredentialKind.PRIVATE_KEY)
    username = models.CharField(max_length=64, default="root")
    encrypted_secret = models.BinaryField(editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def set_secret(self, plaintext: str) -> None:
        """Encrypt and store ``plaintext`` (masked from now on in what this process writes)."""
        remember_secret(plaintext)
        self.encrypted_secret = encrypt_secret(plaintext)

    def get_secret(self) -> str:
        """Decrypt the stored secret (for the SSH transport only; masked from now on in what this process writes)."""
        secret = decrypt_secret(self.encrypted_secret)
        remember_secret(secret)
        _remember_every_secret()
        return secret


_remembered_state: Any = None


def _remember_every_secret() -> None:
    """A process that decrypts one credential masks them all: a host may echo another host's password (a shared
    script, a hostile login). Reloaded when credentials were added or changed since (one small query)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        _load_every_secret()
        return
    # Called from a coroutine (the SSH transport builds its targets there): the query runs in a thread.
    thread = threading.Thread(target=_load_every_secret_in_thread, name="remember-secrets")
    thread.start()
    thread.join()


def _load_every_secret_in_thread() -> None:
    try:
        _load_every_secret()
    finally:
        connection.close()


def _load_every_secret() -> None:
    global _remembered_state
    state = Credential.objects.aggregate(count=models.Count("pk"), changed=models.Max("last_updated"))
    if state == _remembered_state:
        return
    for token in Credential.objects.values_list("encrypted_secret", flat=True):
        try:
            remember_secret(decrypt_secret(token))
        except Exception:  # a secret that cannot be decrypted cannot be echoed either
            continue
    _remembered_state = state


class ManagedHost(BaseModel):
    """A real machine reachable over SSH that a design host is deployed to."""

    name = models.CharField(max_length=100, unique=True)
    management_address = models.CharField(max_length=255, help_text="Address or DNS name for SSH")
    ssh_port = models.PositiveIntegerField(default=22, validators=[MinValueValidator(1), MaxValueValidator(65535)])
    credential = models.ForeignKey(Credential, null=True, blank=True, on_delete=models.PROTECT, related_name="hosts")
    host_key = models.TextField(blank=True, help_text="Pinned SSH host key (OpenSSH format), confirmed by an operator")
    host_key_pinned_at = models.DateTimeField(null=True, blank=True)
    host_key_state = models.CharField(
        max_length=16, choices=HostKeyState.choices, default=HostKeyState.UNKNOWN, editable=False
    )
    offered_host_key = models.TextField(
        blank=True, editable=False, help_text="Key offered at the last contact that is not (yet) the pinned one"
    )
    freebsd_release = models.CharField(max_length=32, blank=True)
    facts = models.JSONField(default=dict, blank=True, editable=False, help_text="Discovered from the host, read-only")
    facts_gathered_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_contact_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_contact_error = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
