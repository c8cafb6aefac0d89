"""Secrets for the embedded (no-environment) setup: generated once, kept in a 0600 JSON file.

The file holds the Django secret key, the key that encrypts stored credentials, and the password of the
embedded Valkey server. A file from an earlier version gets the values it lacks added; its mode is put
back to 0600 (and its directory to 0700) whenever it is read.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path

_GENERATORS: dict[str, Callable[[], str]] = {
    "django_secret_key": lambda: secrets.token_urlsafe(50),
    # Fernet key: 32 random bytes, url-safe base64.
    "credential_key": lambda: base64.urlsafe_b64encode(os.urandom(32)).decode(),
    # URL-safe, so it can stand in a redis:// URL as it is.
    "valkey_password": lambda: secrets.token_urlsafe(32),
}


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed and make it 0700: what it holds is for its owner only."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty if it is not there and make it 0600 (an empty file is a valid SQLite database)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(fd)
    path.chmod(0o600)
    return path


def _write_private(path: Path, values: dict[str, str]) -> None:
    """Write ``values`` to ``path`` atomically, the file 0600 from its first byte."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(values, fh)
    os.replace(tmp, path)


def load_or_create_secrets(path: Path) -> dict[str, str]:
    """Return the stored secrets (see the module docstring), creating those missing on first use."""
    private_dir(path.parent)
    values: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    missing = [key for key in _GENERATORS if not values.get(key)]
    if missing:
        values.update({key: _GENERATORS[key]() for key in missing})
        _write_private(path, values)
    path.chmod(0o600)
    return values
