"""Login throttling on every way in, security headers, a clean `check --deploy`, local Swagger UI, the admin's
credential form, and user names unique regardless of case."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.test import Client

BASE_DIR = Path(__file__).resolve().parents[2]
LIMIT = 5  # settings.AXES_FAILURE_LIMIT
COOL_OFF_SECONDS = 15 * 60  # settings.AXES_COOLOFF_TIME


@pytest.fixture
def victim(make_user):
    return make_user("victim", "approver")


def _session_login(client: Client, password: str):
    return client.post("/api/session/", {"username": "victim", "password": password}, content_type="application/json")


def _basic(password: str) -> str:
    return "Basic " + base64.b64encode(f"victim:{password}".encode()).decode()


@pytest.mark.django_db
def test_session_login_is_locked_after_repeated_failures_even_with_the_right_password(victim):
    client = Client()
    codes = [_session_login(client, f"guess-{i}").status_code for i in range(LIMIT)]
    assert codes[: LIMIT - 1] == [400] * (LIMIT - 1), codes
    right = _session_login(client, "pw-victim")
    assert right.status_code == 429, right.content
    assert "too many failed logins" in right.json()["detail"]
    assert right["Retry-After"] == str(COOL_OFF_SECONDS)
    assert Client().get("/api/me/").status_code == 403


@pytest.mark.django_db
def test_basic_auth_is_locked_after_repeated_failures(victim, make_user):
    client = Client()
    codes = [client.get("/api/me/", HTTP_AUTHORIZATION=_basic(f"guess-{i}")).status_code for i in range(LIMIT)]
    assert set(codes[: LIMIT - 1]) <= {401, 403}, codes  # 403: the session authenticator comes first (DRF)
    assert codes[-1] == 429, codes  # the failure that reaches the limit is answered as a lockout already
    # The right password while locked out: 429 with Retry-After, the same answer as the session login's.
    for path in ("/api/me/", "/api/designs/"):
        response = client.get(path, HTTP_AUTHORIZATION=_basic("pw-victim"))
        assert response.status_code == 429, response.content
        assert response["Retry-After"] == str(COOL_OFF_SECONDS)
        assert response.json() == _session_login(Client(), "pw-victim").json()
        assert b"victim" not in response.content
    # Another user from the same address is not locked out; nor is the victim after the cool-off (reset here).
    other = make_user("other", "viewer")
    assert client.get("/api/me/", HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"other:pw-other").decode()
                      ).json()["username"] == other.username  # fmt: skip
    from axes.utils import reset

    reset(username="victim")
    assert client.get("/api/me/", HTTP_AUTHORIZATION=_basic("pw-victim")).status_code == 200


@pytest.mark.django_db
def test_admin_login_is_locked_after_repeated_failures(make_user):
    staff = make_user("victim")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    client = Client()
    for i in range(LIMIT):
        client.post("/admin/login/", {"username": "victim", "password": f"guess-{i}", "next": "/admin/"})
    response = client.post("/admin/login/", {"username": "victim", "password": "pw-victim", "next": "/admin/"})
    assert response.status_code == 429
    assert response["Retry-After"] == str(COOL_OFF_SECONDS)
    assert client.get("/admin/").status_code == 302  # still not logged in


@pytest.mark.django_db
def test_a_successful_login_resets_the_count(victim):
    client = Client()
    for i in range(LIMIT - 1):
        _session_login(client, f"guess-{i}")
    assert _session_login(client, "pw-victim").status_code == 200
    for i in range(LIMIT - 1):
        _session_login(Client(), f"again-{i}")
    assert _session_login(Client(), "pw-victim").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/api/docs/", "/admin/login/"])
def test_pages_send_a_content_security_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_swagger_ui_is_served_from_this_origin_without_inline_script(client):
    page = client.get("/api/docs/").content.decode()
    assert "cdn" not in page.lower() and "@latest" not in page
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "<script>" not in page.replace(" ", "")  # every script has a src (CSP script-src 'self')
    from django.contrib.staticfiles import finders

    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")


def test_check_deploy_is_clean_with_the_documented_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "JAILNET_"))}
    env.update(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        JAILNET_CREDENTIAL_KEY=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        JAILNET_HTTPS="1",
        DJANGO_ALLOWED_HOSTS="jailnet.example.org",
        JAILNET_VAR_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="project.settings",
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_production_settings_send_hsts_and_secure_cookies(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "JAILNET_"))}
    env.update(JAILNET_HTTPS="1", JAILNET_VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="project.settings")
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True)
    assert done.stdout.split() == ["31536000", "True", "True", "True"], done.stderr


SECRET = "canary-admin-form-secret-4f1c"


@pytest.mark.django_db
def test_admin_credential_form_never_echoes_the_submitted_secret(admin_client):
    response = admin_client.post(
        "/admin/inventory/credential/add/", {"name": "", "kind": "password", "username": "root", "secret": SECRET}
    )
    assert response.status_code == 200  # the form again, with the error
    assert b"This field is required" in response.content
    assert SECRET.encode() not in response.content


@pytest.mark.django_db
def test_user_names_are_unique_regardless_of_case(make_user, admin_client):
    make_user("dana")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("DANA", password="x")
    added = admin_client.post(
        "/admin/auth/user/add/", {"username": "Dana", "password1": "Zq9!long-pass", "password2": "Zq9!long-pass"}
    )
    assert added.status_code == 200 and b"already exists" in added.content
    other = make_user("erin")
    renamed = admin_client.post(
        f"/admin/auth/user/{other.pk}/change/",
        {"username": "dAnA", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00", "is_active": "on"},
    )
    assert renamed.status_code == 200 and b"already exists" in renamed.content
    assert User.objects.filter(username__iexact="dana").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    ["Émile", "ÉMILE", "STRASSE", "v\u0131ctim", "\uff56ictim", "victim\u200b"],
    ids=["accented-upper", "accented-all-upper", "sharp-s-folded", "dotless-i", "fullwidth", "zero-width-space"],
)
def test_user_names_beyond_ascii_are_refused_by_the_admin(make_user, admin_client, name):
    """Case variants the database's LOWER() does not fold (SQLite: ASCII only) and look-alikes of another user."""
    for existing in ("émile", "victim", "straße"):  # names from before the rule (create_user checks nothing)
        make_user(existing)
    before = sorted(User.objects.values_list("username", flat=True))
    added = admin_client.post(
        "/admin/auth/user/add/", {"username": name, "password1": "Zq9!long-pass", "password2": "Zq9!long-pass"}
    )
    assert added.status_code == 200, added.status_code
    assert b"errorlist" in added.content
    other = make_user("frank")
    renamed = admin_client.post(
        f"/admin/auth/user/{other.pk}/change/",
        {"username": name, "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00", "is_active": "on"},
    )
    assert renamed.status_code == 200 and b"errorlist" in renamed.content
    assert sorted(User.objects.values_list("username", flat=True)) == sorted([*before, "frank"])
