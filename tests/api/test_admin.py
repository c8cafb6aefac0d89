"""Django admin: every design and inventory model is registered and its pages load; secrets stay hidden."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from inventory.models import Credential, ManagedHost
from topology import models as topology_models
from topology.models import JailNic

SECRET = "admin-secret-plaintext-7d41"


@pytest.fixture
def admin_client_logged_in(db, django_user_model, settings) -> Client:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = django_user_model.objects.create_superuser("root", password="pw")
    client = Client()
    client.force_login(user)
    return client


# The models this room's API and admin serve (other rooms register their own models).
DESIGN_MODELS = (
    "Design", "Host", "Interface", "StaticRoute", "Switch", "SwitchPort", "VxlanSegment", "VxlanMember", "Jail",
    "JailAddress", "JailNic", "VirtualMachine", "VmNic", "OutboundNat", "PortRedirect", "DhcpService",
    "DhcpStaticLease", "FirewallPolicy", "FirewallRule",
)  # fmt: skip
MODELS = [*(getattr(topology_models, name) for name in DESIGN_MODELS), Credential, ManagedHost]


def test_every_api_model_is_registered():
    assert len(MODELS) == 21
    assert [m.__name__ for m in MODELS if m not in admin.site._registry] == []


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_add_and_change_pages_load(env, admin_client_logged_in, model):
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    assert admin_client_logged_in.get(reverse(f"{prefix}_changelist")).status_code == 200
    assert admin_client_logged_in.get(reverse(f"{prefix}_add")).status_code == 200
    obj = model.objects.first()
    if obj is not None:
        assert admin_client_logged_in.get(reverse(f"{prefix}_change", args=[obj.pk])).status_code == 200


def test_admin_sets_a_credential_secret_but_never_shows_it(db, admin_client_logged_in):
    response = admin_client_logged_in.post(
        reverse("admin:inventory_credential_add"),
        {"name": "deploy", "kind": "password", "username": "root", "secret": SECRET},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    credential = Credential.objects.get(name="deploy")
    assert credential.get_secret() == SECRET
    page = admin_client_logged_in.get(reverse("admin:inventory_credential_change", args=[credential.pk]))
    assert SECRET.encode() not in page.content
    listing = admin_client_logged_in.get(reverse("admin:inventory_credential_changelist"))
    assert SECRET.encode() not in listing.content


def test_admin_refuses_a_nic_on_another_hosts_switch(env, admin_client_logged_in):
    response = admin_client_logged_in.post(
        reverse("admin:topology_jailnic_add"),
        {"jail": env.jail_a.pk, "name": "vnet0", "switch": env.switch_b.pk, "address": "", "mac": ""},
    )
    assert response.status_code == 200  # the form again, with the error
    assert b"is on another host" in response.content
    assert not JailNic.objects.exists()


def test_admin_change_bumps_the_version(env, admin_client_logged_in):
    url = reverse("admin:topology_switch_change", args=[env.switch_a.pk])
    response = admin_client_logged_in.post(
        url,
        {
            "host": env.host_a.pk,
            "name": "switch111",
            "kind": "bridge",
            "address": "10.1.1.1/24",
            "mtu": "",
            "private": "on",
            "ports-TOTAL_FORMS": "0",
            "ports-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    env.switch_a.refresh_from_db()
    assert env.switch_a.private and env.switch_a.version == 2
