"""Secrets for the embedded (no-environment) setup: generated once, kept in a 0600 JSON file."""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path


def load_or_create_secrets(path: Path) -> dict[str, str]:
    """Return the stored Django secret key and credential encryption key, creating them on first use."""
    if path.exists():
        return json.loads(path.read_text())
    values = {
        "django_secret_key": secrets.token_urlsafe(50),
        # Fernet key: 32 random bytes, url-safe base64.
        "credential_key": base64.urlsafe_b64encode(os.urandom(32)).decode(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(values, fh)
    return values
