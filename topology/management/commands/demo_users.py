"""``manage.py demo_users`` — one user per role with a known password, for trying jailnet out.

``make run`` calls it. The passwords are public (``demo-<role>``, also in the README): never run it on an
installation that anyone else can reach.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from project.roles import ADMIN, ROLES


def demo_password(role: str) -> str:
    """The documented password of the demo user holding ``role``."""
    return f"demo-{role}"


@transaction.atomic
def demo_users_ensure() -> list[User]:
    """Create or reset the demo users: username = role name, password ``demo-<role>``; admin is a superuser.

    A password already right is left alone: setting it anew (a new salt) would log the user out of every browser
    at each ``make run`` (a session is bound to its user's password hash)."""
    users = []
    for role in ROLES:
        user, _ = User.objects.get_or_create(username=role)
        if not user.check_password(demo_password(role)):
            user.set_password(demo_password(role))
        user.is_staff = user.is_superuser = role == ADMIN
        user.is_active = True
        user.save()
        user.groups.set([Group.objects.get_or_create(name=role)[0]])
        users.append(user)
    return users


class Command(BaseCommand):
    help = "Create or reset one demo user per role (viewer, designer, approver, operator, admin); password demo-ROLE."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="Base URL printed in the login hint.")

    def handle(self, *args: Any, url: str, **options: Any) -> None:
        users = demo_users_ensure()
        self.stdout.write("Demo users (for trying jailnet only; the passwords are public):")
        for user in users:
            note = "superuser" if user.is_superuser else f"role {user.username}"
            self.stdout.write(f"  {user.username:<9} password {demo_password(user.username):<15} {note}")
        self.stdout.write(
            f"Log in at {url}/ (the app, any user); the API is at {url}/api/docs/, the Django admin at {url}/admin/"
        )
