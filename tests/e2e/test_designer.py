"""End-to-end: a designer draws the article's S6 (VNET jail on switch "services") and S7 (a VM on the
same switch with a DHCP reservation), sees validation and the rendered configuration; a viewer cannot
edit; two browsers editing the same object get the conflict message."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import (
    DesignFactory,
    HostFactory,
    InterfaceFactory,
    JailFactory,
    JailNicFactory,
    SwitchFactory,
    VirtualMachineFactory,
)
from topology.models import Design, Host, Jail, Switch

from .conftest import in_thread, screenshot
from .designer import HAS_RENDER, HAS_VALIDATION, add, connect, error_findings, fill, form, select, tab

pytestmark = pytest.mark.django_db(transaction=True)


def open_design(page, app_url: str, design: Design) -> None:
    page.goto(f"{app_url}/#/designs/{design.pk}")
    page.get_by_test_id("design-name").filter(has_text=design.name).wait_for()


def test_new_user_builds_s6_and_s7(new_page, make_browser_user, app_url) -> None:
    make_browser_user("dana", "designer")
    page = new_page("dana")
    screenshot(page, "design-list")

    page.get_by_role("textbox", name="New design").fill("s6-s7")
    page.get_by_role("button", name="Create").click()
    page.get_by_test_id("design-name").filter(has_text="s6-s7").wait_for()

    # S6: a jailhost with em0, the vm-bhyve switch "services" 10.1.1.1/24 and a VNET jail on it.
    add(page, "jailhost", "host-jailhost-a")
    add(page, "physical", "interface-em0")
    fill(page, "interface", {"address": "192.168.0.2/24"})
    add(page, "switch", "switch-switch0")
    fill(page, "switch", {"name": "services", "kind": "vm-switch", "address": "10.1.1.1/24"})
    page.get_by_test_id("switch-services").wait_for()

    # A client-side check speaks before the server is asked.
    add(page, "vnet-jail", "jail-jail1")
    form(page, "jail").locator('[name="default_router"]').fill("10.1.1.300")
    assert "IPv4 address" in form(page, "jail").get_by_test_id("error-default_router").inner_text()
    fill(page, "jail", {"name": "vnetcage", "default_router": "10.1.1.1"})
    connect(page, "jail-vnetcage", "switch-services")
    page.locator(".react-flow__edge.edge-jailNic").wait_for()

    # The jail's NIC gets an address outside the switch's subnet: validation says so.
    select(page, "jail-vnetcage")
    errors_before = error_findings(page) if HAS_VALIDATION else 0
    tab(page, "Properties")
    fill(page, "jailNic", {"address": "10.1.2.2/24"})
    if HAS_VALIDATION:
        tab(page, "Validation")
        # Locator assertions, not wait_for_function: the app's CSP forbids the eval a JS predicate needs.
        expect(page.locator(".finding.error").nth(errors_before)).to_be_attached(timeout=10_000)
        page.get_by_test_id("node-badge").first.wait_for()
        screenshot(page, "validation-finding")
        page.locator(".finding.error").first.get_by_test_id("finding").click()
        tab(page, "Properties")
    fill(page, "jailNic", {"address": "10.1.1.2/24"})
    if HAS_VALIDATION:
        tab(page, "Validation")
        expect(page.locator(".finding.error").nth(errors_before)).not_to_be_attached(timeout=10_000)
        tab(page, "Properties")

    # S7: a VM on the same switch, dnsmasq serving the article's range, and a reservation for the VM.
    select(page, "switch-services")
    add(page, "dhcp", "service-dhcpService-services")
    fill(page, "dhcpService", {"range_start": "10.1.1.10", "range_end": "10.1.1.20"})
    add(page, "vm", "vm-vm1")
    fill(page, "vm", {"name": "guest"})
    connect(page, "vm-guest", "switch-services")
    page.locator(".react-flow__edge.edge-vmNic").wait_for()
    select(page, "vm-guest")
    # The address comes from the switch's address plan: .1 is the switch, .2 the jail, .10-.20 dnsmasq's.
    page.get_by_role("button", name="Reserve 10.1.1.3 by DHCP").click()
    reservation = page.get_by_test_id("reservation")
    reservation.wait_for()
    assert re.search(r"58:9c:fc:[0-9a-f:]{8} → 10\.1\.1\.3$", reservation.inner_text())
    page.get_by_test_id("auto-layout").click()
    page.wait_for_timeout(500)
    screenshot(page, "designer-s6-s7")

    if HAS_RENDER:
        tab(page, "Configuration")
        page.get_by_test_id("config-text").first.wait_for()
        expect(page.get_by_test_id("config-text").filter(has_text="10.1.1.2").first).to_be_attached()
        text = "\n".join(page.get_by_test_id("config-text").all_inner_texts())
        assert "10.1.1.2" in text
        assert re.search(r"dhcp-range=10\.1\.1\.10,10\.1\.1\.20", text), text
        screenshot(page, "configuration")

    # What the browser drew is what the server has.
    design = Design.objects.get(name="s6-s7")
    switch = Switch.objects.get(host__design=design, name="services")
    assert switch.address == "10.1.1.1/24" and switch.kind == "vm-switch"
    nic = switch.jail_nics.get()
    assert (nic.jail.name, nic.name, str(nic.address)) == ("vnetcage", "vnet0", "10.1.1.2/24")
    vm_nic = switch.vm_nics.get()
    assert vm_nic.vm.name == "guest" and vm_nic.dhcp
    lease = switch.dhcp_service.static_leases.get()
    assert (lease.mac, str(lease.address)) == (vm_nic.mac, "10.1.1.3")
    host = Host.objects.get(design=design)
    assert host.has_iocage and host.has_vm_bhyve and host.has_dnsmasq


def create_small_design() -> Design:
    design = DesignFactory.create(name="shared")
    host = HostFactory.create(design=design, name="jailhost-a", has_iocage=True)
    InterfaceFactory.create(host=host, name="em0", address="192.168.0.2/24")
    SwitchFactory.create(host=host, name="services", address="10.1.1.1/24")
    JailFactory.create(host=host, name="vnetcage", type="vnet")
    return design


@pytest.fixture
def small_design(transactional_db) -> Design:
    """jailhost-a with em0, switch "services" 10.1.1.1/24 and the VNET jail "vnetcage" (not yet attached)."""
    return in_thread(create_small_design)  # type: ignore[return-value]


def test_viewer_cannot_edit(new_page, make_browser_user, app_url, small_design) -> None:
    make_browser_user("vic", "viewer")
    page = new_page("vic")
    assert page.get_by_test_id("read-only").is_visible()
    assert page.get_by_role("textbox", name="New design").count() == 0
    open_design(page, app_url, small_design)
    page.get_by_test_id("viewer-banner").wait_for()
    assert page.get_by_test_id("palette-jailhost").count() == 0
    assert page.get_by_test_id("undo").count() == 0
    select(page, "switch-services")
    switch_form = form(page, "switch")
    switch_form.wait_for()
    assert switch_form.locator('[name="name"]').get_attribute("readonly") is not None
    assert switch_form.get_by_role("button", name="Save").count() == 0
    page.keyboard.press("Delete")
    assert page.get_by_role("dialog").count() == 0
    screenshot(page, "viewer")
    assert Switch.objects.filter(name="services").exists()


def test_two_browsers_editing_the_same_object_get_a_conflict(
    new_page, make_browser_user, app_url, small_design
) -> None:
    make_browser_user("alice", "designer")
    make_browser_user("bob", "designer")
    first, second = new_page("alice"), new_page("bob")
    for page in (first, second):
        open_design(page, app_url, small_design)
        select(page, "switch-services")
        form(page, "switch").wait_for()

    fill(first, "switch", {"address": "10.1.1.254/24"})
    fill(second, "switch", {"address": "10.1.1.253/24"}, expect_saved=False)
    conflict = second.get_by_test_id("conflict")
    conflict.wait_for()
    assert "changed by someone else" in conflict.inner_text()
    screenshot(second, "conflict")
    conflict.get_by_role("button", name="Reload").click()
    conflict.wait_for(state="detached")
    select(second, "switch-services")
    assert form(second, "switch").locator('[name="address"]').input_value() == "10.1.1.254/24"
    assert Switch.objects.get(name="services").address == "10.1.1.254/24"


def test_delete_asks_first_and_undo_brings_it_back(new_page, make_browser_user, app_url, small_design) -> None:
    make_browser_user("dana", "designer")
    page = new_page("dana")
    open_design(page, app_url, small_design)
    select(page, "jail-vnetcage")
    page.keyboard.press("Delete")
    dialog = page.get_by_role("dialog")
    assert "vnetcage" in dialog.inner_text()
    dialog.get_by_role("button", name="Cancel").click()
    assert Jail.objects.filter(name="vnetcage").exists()

    page.keyboard.press("Delete")
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    page.get_by_test_id("jail-vnetcage").wait_for(state="detached")
    assert not Jail.objects.filter(name="vnetcage").exists()

    page.keyboard.press("Control+z")
    page.get_by_test_id("jail-vnetcage").wait_for()
    assert Jail.objects.get(name="vnetcage").type == "vnet"
    page.keyboard.press("Control+Shift+z")
    page.get_by_test_id("jail-vnetcage").wait_for(state="detached")
    assert not Jail.objects.filter(name="vnetcage").exists()


def test_a_vm_cannot_join_another_hosts_switch(new_page, make_browser_user, app_url, small_design) -> None:
    from topology.models import VmNic

    def second_host() -> None:
        other = HostFactory.create(design=small_design, name="jailhost-b", has_vm_bhyve=True)
        VirtualMachineFactory.create(host=other, name="guest-b")

    in_thread(second_host)
    make_browser_user("dana", "designer")
    page = new_page("dana")
    open_design(page, app_url, small_design)
    page.get_by_test_id("vm-guest-b").wait_for()
    connect(page, "vm-guest-b", "switch-services")
    banner = page.get_by_test_id("error-banner")
    banner.wait_for()
    assert "another host" in banner.inner_text()
    assert not VmNic.objects.exists()


def test_large_design_opens_with_hosts_collapsed(new_page, make_browser_user, app_url, transactional_db) -> None:

    def build() -> Design:
        design = DesignFactory.create(name="fleet")
        for h in range(12):
            host = HostFactory.create(design=design, name=f"jailhost-{h:02d}", has_iocage=True)
            InterfaceFactory.create(host=host, name="em0", address=f"192.168.0.{h + 10}/24")
            switch = SwitchFactory.create(host=host, name="services", address="10.1.1.1/24")
            for j in range(4):
                jail = JailFactory.create(host=host, name=f"cage{j}", type="vnet")
                JailNicFactory.create(jail=jail, switch=switch, address=f"10.1.1.{j + 2}/24")
        return design

    design = in_thread(build)
    make_browser_user("vic", "viewer")
    page = new_page("vic")
    open_design(page, app_url, design)  # type: ignore[arg-type]
    page.get_by_test_id("host-jailhost-00").wait_for()
    assert page.locator(".react-flow__node-jail").count() == 0
    assert "1 switches · 4 jails" in page.get_by_test_id("host-jailhost-00").inner_text()
    screenshot(page, "large-design")
    page.get_by_test_id("host-jailhost-00").get_by_title("Expand host").click()
    page.get_by_test_id("jail-cage3").wait_for()
    assert page.locator(".react-flow__node-jail").count() == 4


def test_a_vxlan_segment_stretches_across_two_hosts(new_page, make_browser_user, app_url, small_design) -> None:
    from topology.models import VxlanMember

    def second_host() -> None:
        other = HostFactory.create(design=small_design, name="jailhost-b")
        InterfaceFactory.create(host=other, name="igb0", address="192.168.0.3/24")
        SwitchFactory.create(host=other, name="switch111")

    in_thread(second_host)
    make_browser_user("dana", "designer")
    page = new_page("dana")
    open_design(page, app_url, small_design)
    add(page, "vxlan", "vxlan-vxlan111")
    fill(page, "vxlanSegment", {"subnet": "10.0.111.0/24"})
    connect(page, "vxlan-vxlan111", "switch-services")
    connect(page, "vxlan-vxlan111", "switch-switch111")
    page.locator(".react-flow__edge.edge-vxlanMember").nth(1).wait_for()
    screenshot(page, "vxlan-two-hosts")
    members = VxlanMember.objects.select_related("host", "underlay_interface", "switch")
    drawn = {m.host.name: (m.interface_name, m.underlay_interface.name, m.switch and m.switch.name) for m in members}
    assert drawn == {
        "jailhost-a": ("vxlan111", "em0", "services"),
        "jailhost-b": ("vxlan111", "igb0", "switch111"),
    }


def test_palette_items_drop_where_they_are_let_go(new_page, make_browser_user, app_url, small_design) -> None:
    make_browser_user("dana", "designer")
    page = new_page("dana")
    open_design(page, app_url, small_design)
    host = page.get_by_test_id("host-jailhost-a")
    host.wait_for()
    page.get_by_test_id("palette-switch").drag_to(host, target_position={"x": 200, "y": 260})
    page.get_by_test_id("switch-switch0").wait_for()
    switch = Switch.objects.get(name="switch0")
    assert switch.host.name == "jailhost-a"
    assert switch.position_x is not None and switch.position_x > 100
    # Dropped outside every host, a host item says where it belongs.
    page.get_by_test_id("palette-vm").drag_to(page.locator(".react-flow__pane"), target_position={"x": 20, "y": 20})
    assert "inside" in page.get_by_test_id("error-banner").inner_text()
