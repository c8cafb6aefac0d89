"""Where pinned SSH host keys live: the transport asks a :class:`HostKeyStore`, never a file of its own.

Production pins keys on ``inventory.ManagedHost.host_key`` (:class:`ManagedHostKeyStore`); the lab keeps them
in a JSON file in its state directory (:class:`FileHostKeyStore`); tests use a dict (:class:`MemoryHostKeyStore`).
Keys are stored as one OpenSSH public key line (``ssh-ed25519 AAAA...``).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol


class HostKeyStore(Protocol):
    """Pinned host keys by target id (``name`` of the target, or ``host:port``)."""

    def get(self, target_id: str) -> str | None:
        """The pinned key of ``target_id`` (OpenSSH public key line), or None at first contact."""
        ...

    def put(self, target_id: str, public_key: str) -> None:
        """Record the key seen at first contact."""
        ...


class MemoryHostKeyStore:
    """Pins in a dict: for tests and short-lived tools."""

    def __init__(self, keys: dict[str, str] | None = None) -> None:
        self.keys: dict[str, str] = dict(keys or {})

    def get(self, target_id: str) -> str | None:
        """The pinned key, or None."""
        return self.keys.get(target_id)

    def put(self, target_id: str, public_key: str) -> None:
        """Pin ``public_key``."""
        self.keys[target_id] = public_key


class FileHostKeyStore:
    """Pins in a JSON file ``{target id: key}``, rewritten atomically (the lab keeps one per lab)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def _read(self) -> dict[str, str]:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}

    def get(self, target_id: str) -> str | None:
        """The pinned key, or None."""
        with self._lock:
            return self._read().get(target_id)

    def put(self, target_id: str, public_key: str) -> None:
        """Pin ``public_key`` (temp file + rename, so a crash never leaves half a file)."""
        self.put_many({target_id: public_key})

    def put_many(self, pins: Mapping[str, str]) -> None:
        """Pin several keys with one rewrite of the file (keys known in advance, e.g. a lab's own hosts)."""
        with self._lock:
            keys = self._read()
            keys.update(pins)
            tmp = self.path.with_name(f".{self.path.name}.tmp")
            tmp.write_text(json.dumps(keys, indent=1, sort_keys=True))
            os.replace(tmp, self.path)


class ManagedHostKeyStore:
    """Pins on ``ManagedHost.host_key``; the target id is the managed host's name.

    No trust on first use: a host whose key an operator has not confirmed (``inventory`` services) is never
    connected to with credentials, and a host whose key changed stays stopped until it is re-pinned. A mismatch
    is recorded on the host (state ``changed`` and the key it offered) so that the operator sees it.

    Database access is synchronous; the transport calls the store from a worker thread when the store says
    so (``blocking = True``).
    """

    blocking = True
    trust_on_first_use = False

    def get(self, target_id: str) -> str | None:
        """The key pinned on the managed host called ``target_id`` (None unless its state is ``pinned``)."""
        from inventory.choices import HostKeyState
        from inventory.models import ManagedHost

        key = (
            ManagedHost.objects.filter(name=target_id, host_key_state=HostKeyState.PINNED)
            .values_list("host_key", flat=True)
            .first()
        )
        return key or None

    def put(self, target_id: str, public_key: str) -> None:
        """Never pins silently: pinning is an operator's confirmation (``inventory.services``)."""
        raise PermissionError("managed hosts are pinned by an operator's confirmation, not on first use")

    def mismatch(self, target_id: str, public_key: str) -> None:
        """Record that the host offered ``public_key`` instead of its pinned key: it stops until re-pinned."""
        from inventory.services import managed_host_key_mismatch

        managed_host_key_mismatch(name=target_id, offered_key=public_key)
