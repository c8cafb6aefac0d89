""" "Test connection" of a registered host: ``POST /api/managed-hosts/{id}/test-connection/`` (operators).

Lives in the executors room because it talks SSH; the host's rows and key trust belong to ``inventory``. The
contact runs in the request, bounded by the transport's timeouts (10 s to connect, 20 s for the facts); it
moves into a job on the host-work queue once jobs exist.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.models import ManagedHost
from project.permissions import RolePermission

from ..hosts.contact import managed_host_test_connection


class ContactResultSerializer(serializers.Serializer):
    """What a test connection found. ``offered_fingerprint``: a key waits for confirmation (or changed)."""

    ok = serializers.BooleanField(help_text="Logged in and facts gathered")
    host_key_state = serializers.CharField()
    offered_fingerprint = serializers.CharField(allow_blank=True)
    facts = serializers.DictField()
    error = serializers.CharField(allow_blank=True)


class ManagedHostTestConnectionView(APIView):
    """Read the host's key (first contact: nothing sent) or, once pinned, log in and gather facts."""

    permission_classes = [RolePermission]
    write_action = "edit_inventory"

    @extend_schema(request=None, responses={200: ContactResultSerializer}, tags=["managed-hosts"])
    def post(self, request: Request, pk: int) -> Response:
        """Test the connection and record what was found on the host."""
        host = get_object_or_404(ManagedHost, pk=pk)
        result = managed_host_test_connection(host_id=host.pk)
        data = {
            "ok": result.ok,
            "host_key_state": result.host_key_state,
            "offered_fingerprint": result.offered_fingerprint,
            "facts": result.facts,
            "error": result.error,
        }
        return Response(ContactResultSerializer(data).data)
