"""Endpoints of the inventory. Writes need the ``edit_inventory`` role (operator, admin)."""

from __future__ import annotations

from core.api.viewsets import JailnetModelViewSet
from inventory.models import Credential, ManagedHost

from . import filtersets, serializers


class CredentialViewSet(JailnetModelViewSet):
    """SSH credentials; the secret is write-only."""

    queryset = Credential.objects.all()
    serializer_class = serializers.CredentialSerializer
    filterset_class = filtersets.CredentialFilterSet
    write_action = "edit_inventory"
    ordering_fields = ("id", "name", "kind", "username", "created", "last_updated")


class ManagedHostViewSet(JailnetModelViewSet):
    """Machines reachable over SSH that design hosts are deployed to."""

    queryset = ManagedHost.objects.all()
    serializer_class = serializers.ManagedHostSerializer
    filterset_class = filtersets.ManagedHostFilterSet
    select_related_fields = ("credential",)
    write_action = "edit_inventory"
