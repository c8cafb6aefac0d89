"""Serializers of the inventory: credentials (write-only secret) and managed hosts (discovered facts read-only)."""

from __future__ import annotations

from rest_framework import serializers

from core.api.serializers import JailnetModelSerializer
from inventory.models import Credential, ManagedHost
from inventory.services import fingerprint_of


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
    """A real machine reachable over SSH. Its host key, key state and facts are recorded by the tool, read-only.

    ``host_key_fingerprint`` is the pinned key's; ``offered_fingerprint`` the key the host offered at the last
    contact when it is not the pinned one (first contact: waits for confirmation; ``changed``: connections are
    stopped until an operator re-pins).
    """

    host_key_fingerprint = serializers.SerializerMethodField(help_text="SHA256 fingerprint of the pinned key")
    offered_fingerprint = serializers.SerializerMethodField(
        help_text="SHA256 fingerprint of the key the host offered that is not pinned (empty when none)"
    )

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
            "host_key_state",
            "host_key_fingerprint",
            "host_key_pinned_at",
            "offered_host_key",
            "offered_fingerprint",
            "facts",
            "facts_gathered_at",
            "last_contact_at",
            "last_contact_error",
        )
        read_only_fields = (
            "host_key",
            "host_key_state",
            "host_key_pinned_at",
            "offered_host_key",
            "facts",
            "facts_gathered_at",
            "last_contact_at",
            "last_contact_error",
        )

    def get_host_key_fingerprint(self, obj: ManagedHost) -> str:
        """Fingerprint of the pinned key, or empty."""
        return fingerprint_of(obj.host_key) if obj.host_key else ""

    def get_offered_fingerprint(self, obj: ManagedHost) -> str:
        """Fingerprint of the offered, not pinned key, or empty."""
        return fingerprint_of(obj.offered_host_key) if obj.offered_host_key else ""


class HostKeyPinSerializer(serializers.Serializer):
    """Confirm the offered key by typing or pasting its fingerprint, or pin a public key got out of band."""

    fingerprint = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    public_key = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=500, help_text="Required to replace a pinned key"
    )

    def validate(self, attrs: dict) -> dict:
        if not attrs["fingerprint"] and not attrs["public_key"]:
            raise serializers.ValidationError("give the fingerprint of the offered key, or paste the public key")
        return attrs
