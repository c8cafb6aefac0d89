"""Choice sets of the inventory."""

from django.db import models


class CredentialKind(models.TextChoices):
    PASSWORD = "password", "Password"
    PRIVATE_KEY = "private-key", "SSH private key"
