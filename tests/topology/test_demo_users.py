"""``manage.py demo_users``: one user per role, password demo-ROLE; running it again keeps their sessions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from project.roles import ROLES


@pytest.mark.django_db
def test_demo_users_get_their_documented_passwords_and_a_rerun_keeps_their_sessions():
    call_command("demo_users")
    assert all(User.objects.get(username=role).check_password(f"demo-{role}") for role in ROLES)
    assert User.objects.get(username="admin").is_superuser
    hashes = dict(User.objects.values_list("username", "password"))
    # A second `make run` once set every password anew (new salt): every browser session was logged out.
    call_command("demo_users")
    assert dict(User.objects.values_list("username", "password")) == hashes
    # A changed password is reset to the documented one.
    user = User.objects.get(username="viewer")
    user.set_password("something else")
    user.save()
    call_command("demo_users")
    assert User.objects.get(username="viewer").check_password("demo-viewer")
