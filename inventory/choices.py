"""Choice sets of the inventory."""

from django.db import models


class CredentialKind(models.TextChoices):
    PASSWORD = "password", "Password"
    PRIVATE_KEY = "private-key", "SSH private key"


class HostKeyState(models.TextChoices):
    """Where the trust in a host's SSH key stands.

    ``unknown``: never contacted. ``offered``: a key was seen at first contact and waits for an operator to
    confirm its fingerprint. ``pinned``: confirmed; only that key is accepted. ``changed``: the host offered
    another key than the pinned one; nothing connects to it until an operator re-pins.
    """

    UNKNOWN = "unknown", "Not contacted yet"
    OFFERED = "offered", "Fingerprint waits for confirmation"
    PINNED = "pinned", "Pinned"
    CHANGED = "changed", "Host key changed: connections stopped"
