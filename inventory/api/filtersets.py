"""Filters of the inventory endpoints."""

from __future__ import annotations

from core.api.filtersets import JailnetFilterSet, id_and_name
from inventory.models import Credential, ManagedHost


class CredentialFilterSet(JailnetFilterSet):
    """Credentials by name, kind and user name."""

    class Meta:
        model = Credential
        fields = ["name", "kind", "username"]


class ManagedHostFilterSet(JailnetFilterSet):
    """Managed hosts by name, address and credential."""

    credential_id, credential = id_and_name("credential")

    class Meta:
        model = ManagedHost
        fields = ["name", "management_address", "freebsd_release"]
