"""End-to-end: the issue's 7-object design — one jailhost with a NIC, a vm-bhyve switch, two VNET jails, a VM
and NAT — drawn in the browser by a new user in at most 25 actions (clicks, drags, typed fields, choices),
counted by the test as it does them. It used to take about 50."""

from __future__ import annotations

import pytest

from topology.models import Design, Host, JailNic, OutboundNat, Switch, VmNic

from .conftest import in_thread

pytestmark = pytest.mark.django_db(transaction=True)

ACTION_BUDGET = 25


class CountedActions:
    """Does what a user does, one counted action per click, drag, typed field or chosen option."""

    def __init__(self, page) -> None:
        self.page = page
        self.log: list[str] = []

    def click(self, locator, what: str) -> None:
        locator.click()
        self.log.append(f"click {what}")

    def type(self, locator, text: str, what: str) -> None:
        locator.fill(text)
        self.log.append(f"type {what}")

    def choose(self, locator, value: str, what: str) -> None:
        locator.select_option(value)
        self.log.append(f"choose {what}")

    def drag(self, source, target, what: str) -> None:
        source.drag_to(target, target_position={"x": 70, "y": 30})
        self.log.append(f"drag {what}")


def test_the_seven_object_design_takes_at_most_25_actions(new_page, make_browser_user, app_url) -> None:
    make_browser_user("dana", "designer")
    page = new_page("dana")
    act = CountedActions(page)
    by = page.get_by_test_id

    act.type(page.get_by_role("textbox", name="New design"), "seven", "design name")
    act.click(page.get_by_role("button", name="Create"), "Create")
    by("design-name").filter(has_text="seven").wait_for()

    act.click(by("palette-jailhost"), "palette Jailhost")
    by("host-jailhost-a").wait_for()
    act.click(by("palette-physical"), "palette Physical interface")
    by("interface-em0").wait_for()
    em0 = page.locator('form[data-testid="form-interface"]')
    act.type(em0.locator('[name="address"]'), "192.168.0.2/24", "em0 address")
    act.click(em0.get_by_role("button", name="Save"), "Save em0")
    em0.locator(".version").filter(has_text="v2").wait_for()

    act.click(by("palette-switch"), "palette Switch")
    by("switch-switch0").wait_for()
    switch = page.locator('form[data-testid="form-switch"]')
    act.choose(switch.locator('[name="kind"]'), "vm-switch", "switch kind vm-switch")
    act.type(switch.locator('[name="address"]'), "10.1.1.1/24", "switch address")
    act.click(switch.get_by_role("button", name="Save"), "Save switch")
    switch.locator(".version").filter(has_text="v2").wait_for()

    act.drag(by("palette-vnet-jail"), by("switch-switch0"), "VNET jail onto the switch")
    by("jail-jail1").wait_for()
    page.locator('fieldset[data-testid="form-jailNic"]').wait_for()
    act.drag(by("palette-vnet-jail"), by("switch-switch0"), "second VNET jail onto the switch")
    by("jail-jail2").wait_for()
    page.locator('fieldset[data-testid="form-jailNic"]').wait_for()
    act.drag(by("palette-vm"), by("switch-switch0"), "VM onto the switch")
    by("vm-vm1").wait_for()
    page.locator(".react-flow__edge.edge-vmNic").wait_for()
    act.click(by("palette-nat"), "palette NAT")
    page.locator('form[data-testid="form-nat"]').wait_for()

    print(f"\n{len(act.log)} actions:\n  " + "\n  ".join(act.log))
    assert len(act.log) <= ACTION_BUDGET

    def drawn() -> dict[str, object]:
        design = Design.objects.get(name="seven")
        host = Host.objects.get(design=design)
        sw = Switch.objects.get(host=host)
        return {
            "host": (host.name, host.has_vm_bhyve, host.has_iocage),
            "switch": (sw.name, sw.kind, sw.address),
            "jail nics": sorted(
                (n.jail.name, n.name, n.address, n.jail.default_router) for n in JailNic.objects.filter(switch=sw)
            ),
            "vm nics": [(n.vm.name, n.address) for n in VmNic.objects.filter(switch=sw)],
            "nat": [(n.interface, n.source, n.engine) for n in OutboundNat.objects.filter(host=host)],
        }

    assert in_thread(drawn) == {
        "host": ("jailhost-a", True, True),
        "switch": ("switch0", "vm-switch", "10.1.1.1/24"),
        "jail nics": [
            ("jail1", "vnet0", "10.1.1.2/24", "10.1.1.1"),
            ("jail2", "vnet0", "10.1.1.3/24", "10.1.1.1"),
        ],
        "vm nics": [("vm1", "10.1.1.4/24")],
        "nat": [("em0", "10.1.1.0/24", "pf")],
    }
    # And the design is complete: no validation errors.
    page.get_by_test_id("tab-validation").click()
    page.get_by_test_id("validation-panel").wait_for()
    page.wait_for_timeout(500)
    assert page.locator(".finding.error").count() == 0, page.get_by_test_id("validation-panel").inner_text()
