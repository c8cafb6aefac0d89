"""Django admin of the inventory: credentials (the secret can be set, never shown) and managed hosts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from core.admin import ServiceModelAdmin, ServiceModelForm
from core.services import object_create, object_update, versioned

from .models import Credential, ManagedHost


class WriteOnlyTextarea(forms.Textarea):
    """A textarea that never renders a value: a form shown again after a validation error must not echo the
    secret that was submitted (into the page, the browser's cache, a screenshot)."""

    def format_value(self, value: Any) -> None:
        return None


class CredentialForm(ServiceModelForm):
    """Credential form: ``secret`` is write-only; leave it empty to keep the stored one."""

    secret = forms.CharField(
        required=False,
        strip=False,
        widget=WriteOnlyTextarea(attrs={"rows": 4, "autocomplete": "off"}),
        help_text="Password or private key. Stored encrypted and never shown; leave empty to keep the current one.",
    )

    class Meta:
        model = Credential
        fields = ("name", "kind", "username")

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.instance.pk is None and not cleaned.get("secret"):
            self.add_error("secret", "A new credential needs its secret.")
        return cleaned


@admin.register(Credential)
class CredentialAdmin(ServiceModelAdmin):
    """Credentials: the list and the form show whether a secret is stored, never the secret."""

    form = CredentialForm
    list_display = ("name", "kind", "username", "has_secret", "version", "last_updated")
    list_filter = ("kind",)
    search_fields = ("name", "username")
    readonly_fields = ("has_secret", "version", "created", "last_updated")
    fields = ("name", "kind", "username", "secret", "has_secret", "version", "created", "last_updated")

    @admin.display(boolean=True, description="secret stored")
    def has_secret(self, obj: Credential) -> bool:
        """Whether an encrypted secret is stored."""
        return bool(obj.encrypted_secret)

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in ("name", "kind", "username")}
        if form.cleaned_data.get("secret"):
            data["secret"] = form.cleaned_data["secret"]
        if change:
            object_update(instance=versioned(obj), data=data, user=request.user)
        else:
            obj.pk = object_create(model=Credential, data=data, user=request.user).pk


@admin.register(ManagedHost)
class ManagedHostAdmin(ServiceModelAdmin):
    """Managed hosts; the pinned host key and discovered facts are read-only."""

    list_display = ("name", "management_address", "ssh_port", "credential", "freebsd_release", "host_key_pinned_at")
    list_filter = ("freebsd_release",)
    search_fields = ("name", "management_address")
    list_select_related = ("credential",)
    readonly_fields = ("host_key", "host_key_pinned_at", "facts", "version", "created", "last_updated")
