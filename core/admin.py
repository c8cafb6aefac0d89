"""Admin bases of every app: saves and deletes go through the object services, history is read-only.

Saves from the admin go through the object services too (model validation, cross-object checks, version
bump), so the admin cannot store what the API would refuse.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest

from .models import AuditEntry
from .services import ObjectInUse, object_create, object_delete, object_update, relation_errors, versioned

READONLY: tuple[str, ...] = ("version", "created", "last_updated")


class ServiceModelForm(forms.ModelForm):
    """A model form that also reports the services' cross-object rules as form errors (before saving)."""

    def _post_clean(self) -> None:
        # The step after which the instance carries the cleaned values (django-stubs does not declare it).
        super()._post_clean()  # type: ignore[misc]
        for field, errors in relation_errors(self.instance).items():
            self.add_error(field if field in self.fields else None, errors)


def _editable_values(obj: models.Model) -> dict[str, Any]:
    """The editable field values of an unsaved object, for ``object_create``."""
    return {f.name: getattr(obj, f.name) for f in obj._meta.concrete_fields if f.editable and not f.primary_key}


def _changed_values(form: forms.ModelForm) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}


class ServiceModelAdmin(admin.ModelAdmin):
    """Saves and deletes (inlines included) through :mod:`core.services`.

    So the admin bumps ``version`` and applies the same rules as the API; a delete refused because the
    object is still in use becomes an error message.
    """

    form = ServiceModelForm
    readonly_fields = READONLY
    list_per_page = 100

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        if change:
            object_update(instance=versioned(obj), data=_changed_values(form), user=request.user)
        else:
            obj.pk = object_create(model=type(versioned(obj)), data=_editable_values(obj), user=request.user).pk

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        try:
            object_delete(instance=versioned(obj), user=request.user)
        except ObjectInUse as exc:
            self.message_user(request, str(exc), level=messages.ERROR)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            obj = inline_form.instance
            if inline_form in formset.deleted_forms:
                if obj.pk is not None:
                    try:
                        object_delete(instance=obj, user=request.user)
                        formset.deleted_objects.append(obj)
                    except ObjectInUse as exc:
                        self.message_user(request, str(exc), level=messages.ERROR)
            elif not inline_form.has_changed():
                continue
            elif obj.pk is None:
                setattr(obj, formset.fk.name, formset.instance)
                formset.new_objects.append(
                    object_create(model=type(obj), data=_editable_values(obj), user=request.user)
                )
            else:
                object_update(instance=obj, data=_changed_values(inline_form), user=request.user)
                formset.changed_objects.append((obj, inline_form.changed_data))


class VersionedInline(admin.TabularInline):
    """An inline of owned objects; timestamps and version are shown, not edited."""

    form = ServiceModelForm
    extra = 0
    readonly_fields = ("version",)
    show_change_link = True


class ReadOnlyAdmin(admin.ModelAdmin):
    """History is read in the admin, never written there: changes go through the services and the API."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The audit history (append-only)."""

    list_display = ("time", "user_name", "source", "action", "object_type", "object_repr", "design_name", "host_name")
    list_filter = ("action", "source", "object_type")
    search_fields = ("user_name", "object_repr", "design_name", "host_name", "request_id")
    list_select_related = ("object_type",)
    date_hierarchy = "time"
