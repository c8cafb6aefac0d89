"""End-to-end: what used to be in the way of drawing a design — inherited releases, switch kinds by the host's
tools, a VNET jail dropped on a switch getting its NIC and address, a jail and its NIC in one form, properties
shown from any tab, audit entries with names, no console errors before login, a favicon."""

from __future__ import annotations

import urllib.request

import pytest

from topology.models import Design, Host, Interface, Jail, JailNic, Switch
from topology.snapshot import CURRENT_RELEASE

from .conftest import in_thread, login
from .designer import fill, form, select, tab

pytestmark = pytest.mark.django_db(transaction=True)


def create_design() -> Design:
    design = Design.objects.create(name="shortcuts", default_release="14.3-RELEASE")
    host = Host.objects.create(design=design, name="jailhost-a", has_iocage=True, has_vm_bhyve=True)
    Interface.objects.create(host=host, name="em0", address="192.168.0.2/24")
    services = Switch.objects.create(host=host, name="services", kind="vm-switch", address="10.1.1.1/24")
    other = Jail.objects.create(host=host, name="first", type="vnet")
    JailNic.objects.create(jail=other, switch=services, name="vnet0", address="10.1.1.2/24")
    return design


@pytest.fixture
def design(transactional_db) -> Design:
    return in_thread(create_design)  # type: ignore[return-value]


def open_design(page, app_url: str, design: Design) -> None:
    page.goto(f"{app_url}/#/designs/{design.pk}")
    page.get_by_test_id("design-name").filter(has_text=design.name).wait_for()


def test_a_vnet_jail_dropped_on_a_switch_gets_its_nic_with_the_next_free_address(
    new_page, make_browser_user, app_url, design
) -> None:
    make_browser_user("dana", "designer")
    page = new_page("dana")
    open_design(page, app_url, design)
    switch = page.get_by_test_id("switch-services")
    switch.wait_for()
    page.get_by_test_id("palette-vnet-jail").drag_to(switch, target_position={"x": 60, "y": 30})
    page.get_by_test_id("jail-jail1").wait_for()
    page.locator('fieldset[data-testid="form-jailNic"]').wait_for()

    nic = in_thread(lambda: JailNic.objects.select_related("jail").get(jail__name="jail1"))
    assert (nic.switch_id, nic.name, str(nic.address)) == (
        Switch.objects.get(name="services").pk,
        "vnet0",
        "10.1.1.3/24",
    )
    assert nic.jail.default_router == "10.1.1.1"  # the switch's address, as in the article

    # The jail and its NIC in one form: one Save changes both.
    jail_form = form(page, "jail")
    assert jail_form.locator('[name="release"]').first.get_attribute("placeholder") == "14.3-RELEASE (the host's)"
    jail_form.locator('[name="name"]').first.fill("www")
    form(page, "jailNic").locator('[name="address"]').fill("10.1.1.40/24")
    assert jail_form.get_by_role("button", name="Save").count() == 1
    jail_form.get_by_role("button", name="Save").click()
    page.get_by_test_id("jail-www").wait_for()
    # Saved when the NIC's version moves on (the jail is saved first, then its NIC).
    page.wait_for_function(
        "() => document.querySelector('fieldset[data-testid=form-jailNic] .version').textContent !== 'v1'"
    )
    jail = in_thread(lambda: Jail.objects.get(name="www"))
    assert str(jail.nics.get().address) == "10.1.1.40/24"
    assert jail.release == ""  # inherited, not a copy

    # The switch's address plan: who holds what, and the next free address.
    select(page, "switch-services")
    plan = page.get_by_test_id("address-plan")
    plan.get_by_text("jail www vnet0").wait_for()
    assert "10.1.1.40" in plan.inner_text() and "jail first vnet0" in plan.inner_text()
    assert "3 used, 251 free of 254; next free 10.1.1.3" in page.get_by_test_id("address-plan-summary").inner_text()
    plan.get_by_role("button", name="jail www vnet0").click()
    page.locator('fieldset[data-testid="form-jailNic"]').wait_for()

    # The server's field errors show on the field they are about, inside the one form.
    form(page, "jailNic").locator('[name="name"]').fill("vnet0x")
    assert form(page, "jailNic").get_by_test_id("error-name").is_visible()


def test_switch_kinds_follow_the_host_tools_and_a_node_click_shows_its_properties_from_any_tab(
    new_page, make_browser_user, app_url, design
) -> None:
    make_browser_user("dana", "designer")
    page = new_page("dana")
    open_design(page, app_url, design)
    select(page, "host-jailhost-a")
    page.get_by_test_id("palette-switch").click()
    page.get_by_test_id("switch-switch0").wait_for()
    options = form(page, "switch").locator('[name="kind"] option').all_inner_texts()
    assert options[0] == "vm-switch"  # the host has vm-bhyve: its switch kind comes first
    assert in_thread(lambda: Switch.objects.get(name="switch0").kind) == "vm-switch"
    assert "pot-bridge (adds pot to the host)" in options

    for name in ("Validation", "Configuration"):
        tab(page, name)
        select(page, "switch-services")
        form(page, "switch").locator('[name="name"]').wait_for()
        assert form(page, "switch").locator('[name="name"]').input_value() == "services"

    # Nothing selected: the design's own settings, its default release among them.
    page.keyboard.press("Escape")
    fill(page, "design", {"default_release": "15.1-RELEASE"})
    assert in_thread(lambda: Design.objects.get(name="shortcuts").default_release) == "15.1-RELEASE"


def test_the_audit_page_names_what_an_entry_points_at(new_page, make_browser_user, app_url, design) -> None:
    make_browser_user("dana", "designer")
    page = new_page("dana")
    open_design(page, app_url, design)
    page.get_by_test_id("palette-vnet-jail").drag_to(
        page.get_by_test_id("switch-services"), target_position={"x": 60, "y": 30}
    )
    page.locator('fieldset[data-testid="form-jailNic"]').wait_for()
    nic = in_thread(lambda: JailNic.objects.get(jail__name="jail1"))
    page.goto(f"{app_url}/#/audit")
    # The NIC's create entry: its jail and switch by name, their ids kept.
    page.get_by_text(f"jail1 (#{nic.jail_id})").first.wait_for()
    page.get_by_text(f"services (#{nic.switch_id})").first.wait_for()


def test_no_console_errors_before_login_and_a_favicon(new_page, app_url, transactional_db) -> None:
    errors: list[str] = []
    page = new_page()
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.reload()
    page.get_by_role("button", name="Log in").wait_for()
    page.wait_for_timeout(300)
    assert errors == []
    with urllib.request.urlopen(f"{app_url}/favicon.ico", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/svg+xml"


def test_no_console_errors_from_the_login_page_through_the_designer(
    new_live_page, make_browser_user, asgi_server, design
) -> None:
    """A user logs in and works through the designer's pages on the whole app (websocket included); the
    browser's console stays free of errors (a 4xx/5xx of any request the pages make is logged there too)."""
    app_url = asgi_server.url
    make_browser_user("dana", "designer")
    errors: list[str] = []
    page = new_live_page()
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.reload()
    page.get_by_role("button", name="Log in").wait_for()
    login(page, "dana")
    page.get_by_role("link", name=design.name).wait_for()
    page.get_by_role("link", name=design.name).click()
    page.get_by_test_id("design-name").filter(has_text=design.name).wait_for()
    select(page, "host-jailhost-a")
    page.get_by_test_id("firewall-panel").wait_for()
    select(page, "switch-services")
    page.get_by_test_id("address-plan").wait_for()
    tab(page, "Validation")
    page.get_by_test_id("validation-panel").wait_for()
    tab(page, "Configuration")
    page.get_by_test_id("config-text").first.wait_for()
    page.get_by_role("link", name="History").click()
    page.get_by_role("heading", name=f"History of {design.name}").wait_for()
    page.goto(f"{app_url}/#/audit")
    page.get_by_role("heading", name="Audit history").wait_for()
    page.goto(f"{app_url}/#/designs")
    page.get_by_role("link", name=design.name).wait_for()
    page.wait_for_timeout(300)
    assert errors == []


def test_a_design_on_an_end_of_life_release_says_so_and_moves_to_the_current_one(
    new_page, make_browser_user, app_url, transactional_db
) -> None:
    """The article's examples run 12.1-RELEASE: the design's settings say it is past its end of life and offer
    the release new designs get."""
    article = in_thread(lambda: Design.objects.create(name="article", default_release="12.1-RELEASE"))
    make_browser_user("dana", "designer")
    page = new_page("dana")
    open_design(page, app_url, article)
    note = page.get_by_test_id("release-outdated")
    assert "12.1-RELEASE is past its end of life" in note.inner_text()
    note.get_by_role("button", name=f"Use {CURRENT_RELEASE}").click()
    note.wait_for(state="detached")
    form(page, "design").get_by_role("button", name="Save").click()
    form(page, "design").locator(".version").filter(has_text="v2").wait_for()
    assert in_thread(lambda: Design.objects.get(name="article").default_release) == CURRENT_RELEASE
