"""Session login for the single-page app, and the current user's roles."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_login_requires_csrf_then_returns_roles_and_logout_ends_session(make_user):
    make_user("dana", "designer", "viewer")
    client = Client(enforce_csrf_checks=True)
    refused = client.post("/api/session/", {"username": "dana", "password": "pw-dana"}, content_type="application/json")
    assert refused.status_code == 403
    token = client.get("/api/session/").json()["csrf_token"]
    response = client.post(
        "/api/session/",
        {"username": "dana", "password": "pw-dana"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200
    assert response.json()["roles"] == ["designer", "viewer"]
    assert response.json()["actions"] == ["edit_design", "read"]  # what the UI may offer, decided here
    me = client.get("/api/me/")
    assert me.json()["username"] == "dana"
    token = client.cookies["csrftoken"].value
    assert client.delete("/api/session/", HTTP_X_CSRFTOKEN=token).status_code == 204
    assert client.get("/api/me/").status_code == 403


@pytest.mark.django_db
def test_wrong_password_is_refused_without_saying_which_part_was_wrong(make_user):
    make_user("erin", "viewer")
    response = Client().post("/api/session/", {"username": "erin", "password": "nope"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "wrong user name or password"}


@pytest.mark.django_db
def test_me_is_refused_to_anonymous_users():
    assert Client().get("/api/me/").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "actions"),
    [
        ("viewer", ["read"]),
        ("designer", ["edit_design", "read"]),
        ("approver", ["approve", "plan_deploy", "read"]),
        ("operator", ["deploy", "diagnose", "edit_inventory", "plan_deploy", "read"]),
        ("admin", ["approve", "deploy", "diagnose", "edit_design", "edit_inventory", "plan_deploy", "read"]),
    ],
)
def test_me_says_what_each_role_may_do(client_for, role, actions):  # type: ignore[no-untyped-def]
    assert client_for(role).get("/api/me/").json()["actions"] == actions


@pytest.mark.django_db
def test_session_says_who_is_logged_in_and_null_before_login(make_user):
    make_user("fay", "viewer")
    client = Client()
    before = client.get("/api/session/")
    assert before.status_code == 200
    assert before.json()["me"] is None
    client.login(username="fay", password="pw-fay")
    assert client.get("/api/session/").json()["me"]["username"] == "fay"


@pytest.mark.django_db
def test_favicon_is_served():
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content
