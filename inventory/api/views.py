"""Endpoints of the inventory. Writes need the ``edit_inventory`` role (operator, admin)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.viewsets import JailnetModelViewSet
from inventory.models import Credential, ManagedHost
from inventory.services import managed_host_key_pin

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

    @extend_schema(request=serializers.HostKeyPinSerializer, responses=serializers.ManagedHostSerializer)
    @action(detail=True, methods=["post"], url_path="pin-key")
    def pin_key(self, request: Request, pk: str | None = None) -> Response:
        """Pin the host key: confirm the offered one by its fingerprint, or a pasted key (a re-pin needs a reason)."""
        body = serializers.HostKeyPinSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        host = managed_host_key_pin(host=self.get_object(), user=request.user, **body.validated_data)
        return Response(self.get_serializer(self._reread(host)).data)
