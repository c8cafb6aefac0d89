"""Canary secrets: stored in credentials through the API and the admin, then searched for everywhere the app
writes or answers: every GET operation's answer, the admin's pages, the audit history and its exports, the
log records of the whole run, and everything the run left in Redis (Celery results, channel-layer messages).

Expected hits: 0. A secret is encrypted at rest and never appears in an answer, a log line or an audit entry.
"""

from __future__ import annotations

import base64
import logging

import pytest
import valkey
from django.conf import settings
from rest_framework.test import APIClient

from core.models import AuditEntry
from inventory.models import Credential

from .test_permission_matrix import OPERATIONS, _url

CANARY_PASSWORD = "canary-pw-3b9e51f0d2"
CANARY_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\ncanary-key-8c1d77aa\n-----END OPENSSH PRIVATE KEY-----\n"
CANARIES = (CANARY_PASSWORD, "canary-key-8c1d77aa", "8c1d77aa", "3b9e51f0d2")


def _hits(blob: bytes | str) -> list[str]:
    text = blob.decode(errors="replace") if isinstance(blob, bytes) else blob
    found = [c for c in CANARIES if c in text]
    # A secret might also leak encoded.
    found += [c for c in CANARIES if base64.b64encode(c.encode()).decode()[:16] in text]
    return found


@pytest.fixture
def admin_api(django_user_model):
    user = django_user_model.objects.create_superuser("canary-admin", password="canary-admin-pw")
    client = APIClient()
    client.force_authenticate(user)
    return client, user


@pytest.mark.django_db
def test_canary_secrets_appear_in_no_answer_history_export_log_or_redis(env, admin_api, client, caplog):
    caplog.set_level(logging.DEBUG)
    api, user = admin_api
    created = api.post(
        "/api/credentials/", {"name": "canary-pw", "kind": "password", "username": "root", "secret": CANARY_PASSWORD}
    )
    assert created.status_code == 201, created.content
    keyed = api.post("/api/credentials/", {"name": "canary-key", "username": "root", "secret": CANARY_KEY})
    assert keyed.status_code == 201, keyed.content
    patched = api.patch(f"/api/credentials/{keyed.json()['id']}/", {"secret": CANARY_KEY + "\n"}, format="json")
    assert patched.status_code == 200, patched.content
    # A validation error with the secret in the body must not echo it.
    refused = api.post("/api/credentials/", {"name": "", "kind": "password", "secret": CANARY_PASSWORD})
    assert refused.status_code == 400 and not _hits(refused.content)
    # Stored encrypted.
    for credential in Credential.objects.all():
        assert not _hits(bytes(credential.encrypted_secret))

    leaks: dict[str, list[str]] = {}
    answers = 0
    for method, path in OPERATIONS:
        if method != "GET":
            continue
        response = api.get(_url(path, env))
        answers += 1
        if found := _hits(response.content):
            leaks[f"GET {path}"] = found
    for path in ("/api/audit-entries/export/?as=csv", "/api/audit-entries/export/?as=json"):
        response = api.get(path)
        assert response.status_code == 200
        if found := _hits(response.content):
            leaks[path] = found

    client.force_login(user)
    for credential in Credential.objects.all():
        for page in (f"/admin/inventory/credential/{credential.pk}/change/", "/admin/inventory/credential/",
                     "/admin/core/auditentry/"):  # fmt: skip
            response = client.get(page)
            assert response.status_code == 200
            if found := _hits(response.content):
                leaks[page] = found

    for entry in AuditEntry.objects.all():
        if found := _hits(f"{entry.before} {entry.after} {entry.object_repr}"):
            leaks[f"audit entry {entry.pk}"] = found
    for record in caplog.records:
        if found := _hits(record.getMessage() + repr(record.args)):
            leaks[f"log {record.name}"] = found

    redis = valkey.Valkey.from_url(settings.REDIS_URL, socket_timeout=2) if ":0/" not in settings.REDIS_URL else None
    if redis is not None:
        for key in redis.scan_iter(count=500):
            kind = redis.type(key)
            value = redis.dump(key) or b""
            if found := _hits(key + b" " + value):
                leaks[f"redis {kind!r} {key[:60]!r}"] = found

    assert answers > 60
    assert AuditEntry.objects.filter(object_type__model="credential").count() >= 3
    assert not leaks, leaks
