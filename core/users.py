"""The admin of users: user names of ASCII letters, digits and @.+-_ only, unique regardless of case, with a
message rather than a database error.

ASCII only: Django's default validator takes any Unicode letter, and then the database's ``LOWER()`` (ASCII-only
on SQLite) and Django's ``iexact`` let ``Émile`` join ``émile``, and look-alikes (``v\u0131ctim``, a dotless i)
pass as different users. Existing names are compared case-folded here as well.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import User
from django.contrib.auth.validators import ASCIIUsernameValidator
from django.core.exceptions import ValidationError


def check_username(username: Any, *, exclude_pk: int | None = None) -> Any:
    """Refuse a user name that is not ASCII or that another user holds in any case."""
    if not username:
        return username
    ASCIIUsernameValidator()(username)
    folded = username.casefold()
    others = User.objects.exclude(pk=exclude_pk) if exclude_pk else User.objects.all()
    if others.filter(username__iexact=username).exists() or any(
        name.casefold() == folded for name in others.values_list("username", flat=True).iterator()
    ):
        raise ValidationError("A user with that username already exists (user names ignore case).")
    return username


class CaseInsensitiveUserCreationForm(AdminUserCreationForm):
    """The admin's creation form with the rules above."""

    def clean_username(self) -> Any:
        return check_username(self.cleaned_data.get("username"))


class CaseInsensitiveUserChangeForm(UserChangeForm):
    """Django's change form, refusing a new name that breaks the rules above (an old non-ASCII name may stay)."""

    def clean_username(self) -> Any:
        username = self.cleaned_data.get("username")
        if username == self.instance.username:
            return username
        return check_username(username, exclude_pk=self.instance.pk)


class JailnetUserAdmin(UserAdmin):
    """Django's user admin with the forms above."""

    form = CaseInsensitiveUserChangeForm
    add_form = CaseInsensitiveUserCreationForm


def register_user_admin() -> None:
    """Replace the user admin (called from ``CoreConfig.ready``, after ``django.contrib.auth`` registered its own)."""
    if admin.site.is_registered(User):
        admin.site.unregister(User)
    admin.site.register(User, JailnetUserAdmin)
