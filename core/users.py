"""The admin of users: user names unique regardless of case, with a message rather than a database error."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError


class CaseInsensitiveUserChangeForm(UserChangeForm):
    """Django's change form, refusing a new name that differs from another user's only in case."""

    def clean_username(self) -> Any:
        username = self.cleaned_data.get("username")
        others = User.objects.filter(username__iexact=username).exclude(pk=self.instance.pk)
        if username and others.exists():
            raise ValidationError("A user with that username already exists (user names ignore case).")
        return username


class JailnetUserAdmin(UserAdmin):
    """Django's user admin with the change form above."""

    form = CaseInsensitiveUserChangeForm


def register_user_admin() -> None:
    """Replace the user admin (called from ``CoreConfig.ready``, after ``django.contrib.auth`` registered its own)."""
    if admin.site.is_registered(User):
        admin.site.unregister(User)
    admin.site.register(User, JailnetUserAdmin)
