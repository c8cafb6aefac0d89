"""Encryption of credentials at rest (Fernet, key from settings.CREDENTIAL_ENCRYPTION_KEY)."""

from __future__ import annotations

from cryptography.fernet import Fernet
from django.conf import settings


def _fernet() -> Fernet:
    return Fernet(settings.CREDENTIAL_ENCRYPTION_KEY.encode())


def encrypt_secret(plaintext: str) -> bytes:
    """Encrypt a password or private key for storage."""
    return _fernet().encrypt(plaintext.encode())


def decrypt_secret(token: bytes) -> str:
    """Decrypt a stored secret; only the SSH transport calls this."""
    return _fernet().decrypt(bytes(token)).decode()
