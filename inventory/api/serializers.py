"""Serializers of the inventory: credentials (write-only secret) and managed hosts (discovered facts read-only)."""

from __future__ import annotations

from rest_framework import serializers

from core.api.serializers import JailnetModelSerializer
from inventory.models import Credential, ManagedHost


class CredentialSerializer(JailnetModelSerializer):
    """An SSH password or private key. The secret is accepted on create/update and never returned."""

    secret = serializers.CharField(
        write_only=True,
        required=False,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="The password or private key; stored encrypted, never returned. Required on create.",
    )
    has_secret = serializers.SerializerMethodField(help_text="Whether a secret is stored")

    class Meta:
        model = Credential
        fields = (
            "id",
            "url",
            "display",
            "version",
            "created",
            "last_updated",
            "name",
            "kind",
            "username",
            "secret",
            "has_secret",
        )

    def get_has_secret(self, obj: Credential) -> bool:
        """True when an encrypted secret is stored."""
        return bool(obj.encrypted_secret)

    def validate(self, attrs: dict) -> dict:
        if self.instance is None and not attrs.get("secret"):
            raise serializers.ValidationError({"secret": ["A new credential needs its secret."]})
        if "secret" in attrs and not attrs["secret"]:
            raise serializers.ValidationError({"secret": ["The secret cannot be empty."]})
        return attrs


class ManagedHostSerializer(JailnetModelSerializer):
    """A real machine reachable over SSH. Its host key and facts are recorded by the tool, read-only here."""

    class Meta:
        model = ManagedHost
        fields = (
            "id",
            "url",
            "display",
            "version",
            "created",
            "last_updated",
            "name",
            "management_address",
            "ssh_port",
            "credential",
            "freebsd_release",
            "host_key",
            "host_key_pinned_at",
            "facts",
        )
        read_only_fields = ("host_key", "host_key_pinned_at", "facts")
