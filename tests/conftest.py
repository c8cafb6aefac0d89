"""Shared fixtures: users holding each role, and API clients logged in as them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from project.roles import ROLES


@pytest.fixture(scope="session", autouse=True)
def _flush_may_empty_the_audit_history():
    """Let the flush between transactional tests empty the append-only audit history.

    The database refuses UPDATE, DELETE and TRUNCATE of audit entries (core migration 0003) unless its
    maintenance switch is on: ``jailnet.audit_maintenance`` on PostgreSQL, a row in
    ``jailnet_audit_maintenance`` on SQLite. Only the test flush turns it on, around its own statements.
    """
    # Through the backends' base modules: importing an operations module first is a circular import.
    from django.db.backends.postgresql import base as postgres_base
    from django.db.backends.sqlite3 import base as sqlite_base

    PostgresOperations = postgres_base.DatabaseWrapper.ops_class
    SqliteOperations = sqlite_base.DatabaseWrapper.ops_class

    sqlite_flush, postgres_flush = SqliteOperations.sql_flush, PostgresOperations.sql_flush

    def sqlite(self, style, tables, **kwargs):  # type: ignore[no-untyped-def]
        statements = sqlite_flush(self, style, tables, **kwargs)
        if not statements:
            return statements
        return [
            "INSERT INTO jailnet_audit_maintenance (since) VALUES ('flush')",
            *statements,
            "DELETE FROM jailnet_audit_maintenance",
        ]

    def postgres(self, style, tables, **kwargs):  # type: ignore[no-untyped-def]
        statements = postgres_flush(self, style, tables, **kwargs)
        if not statements:
            return statements
        return ["SET jailnet.audit_maintenance = 'on'", *statements, "RESET jailnet.audit_maintenance"]

    SqliteOperations.sql_flush = sqlite  # type: ignore[method-assign]
    PostgresOperations.sql_flush = postgres  # type: ignore[method-assign]
    yield
    SqliteOperations.sql_flush, PostgresOperations.sql_flush = sqlite_flush, postgres_flush  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Test users need no key stretching; PBKDF2 would spend half a second per user."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    """Create a user holding the given roles (none: a user without any role)."""

    def _make(username: str, *roles: str) -> User:
        user = User.objects.create_user(username=username, password="pw-" + username)
        for role in roles:
            assert role in ROLES, role
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        return user

    return _make


@pytest.fixture
def client_for(make_user) -> Callable[[str], APIClient]:
    """An API client authenticated as a fresh user holding ``role`` (``"anonymous"``: not logged in)."""

    def _client(role: str) -> APIClient:
        client = APIClient()
        if role != "anonymous":
            client.force_authenticate(make_user(f"{role}-user", role))
        return client

    return _client


@pytest.fixture
def designer_client(client_for) -> APIClient:
    """API client of a user with the designer role."""
    return client_for("designer")


@pytest.fixture
def viewer_client(client_for) -> APIClient:
    """API client of a user with the viewer role."""
    return client_for("viewer")
