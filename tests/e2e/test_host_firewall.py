"""End-to-end: a host's firewall, NAT/redirects and static routes edited in the browser — a pf rule added,
rules reordered by dragging, a rule edited in place (undone and redone), a port redirect and a static route —
and found in the rendered configuration."""

from __future__ import annotations

import os
import re

import pytest

from topology.models import Design, FirewallRule, Host, Interface, Jail, JailNic, StaticRoute, Switch

from .conftest import SCREENSHOTS, in_thread
from .designer import select, tab

pytestmark = pytest.mark.django_db(transaction=True)


def create_design() -> Design:
    design = Design.objects.create(name="walls")
    host = Host.objects.create(design=design, name="jailhost-a", has_iocage=True, gateway_enable=True)
    Interface.objects.create(host=host, name="em0", address="192.168.0.2/24")
    services = Switch.objects.create(host=host, name="services", address="10.1.1.1/24")
    www = Jail.objects.create(host=host, name="www", type="vnet", default_router="10.1.1.1")
    JailNic.objects.create(jail=www, switch=services, name="vnet0", address="10.1.1.2/24")
    return design


def add_rule(page, **fields: str) -> None:
    rule_form = page.get_by_role("form", name="Add firewall rule")
    count = page.get_by_test_id("firewall-rule").count()
    for name, value in fields.items():
        field = rule_form.locator(f'[name="{name}"]')
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        elif value == "on":
            field.check()
        else:
            field.fill(value)
    rule_form.get_by_role("button", name="Add rule").click()
    page.get_by_test_id("firewall-rule").nth(count).wait_for()


def open_new_firewall(new_page, make_browser_user, app_url: str, engine: str):  # type: ignore[no-untyped-def]
    """A designer opens a new design's jailhost-a and gives it an empty ``engine`` (pf or ipfw) firewall:
    (the page, the firewall panel)."""
    design = in_thread(create_design)
    make_browser_user("dana", "designer")
    page = new_page("dana")
    page.goto(f"{app_url}/#/designs/{design.pk}")
    select(page, "host-jailhost-a")
    panel = page.get_by_test_id("firewall-panel")
    panel.get_by_role("button", name=f"Add {engine} firewall").click()
    page.get_by_test_id("firewall-policy").wait_for()
    return page, panel


def test_pf_rules_a_redirect_and_a_static_route_edited_in_the_browser_reach_the_configuration(
    new_page, make_browser_user, app_url, transactional_db
) -> None:
    page, _panel = open_new_firewall(new_page, make_browser_user, app_url, "pf")

    add_rule(page, action="block", direction="in", protocol="tcp", interface="em0", port="23", comment="no telnet")
    add_rule(
        page,
        action="pass",
        direction="in",
        quick="on",
        protocol="tcp",
        interface="em0",
        destination="192.168.0.2",
        port="22",
    )
    # The server's field errors show on the field they are about.
    rule_form = page.get_by_role("form", name="Add firewall rule")
    rule_form.locator('[name="source"]').fill("not-an-address")
    rule_form.get_by_role("button", name="Add rule").click()
    rule_form.get_by_test_id("error-source").wait_for()
    rule_form.locator('[name="source"]').fill("")

    # pf evaluates in order: drag the ssh rule above the telnet block.
    rules = page.get_by_test_id("firewall-rule")
    rules.nth(1).drag_to(rules.nth(0))
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=firewall-rule]')[0].textContent.includes('port 22')"
    )
    assert in_thread(lambda: list(FirewallRule.objects.order_by("index").values_list("port", flat=True))) == [22, 23]

    # A rule edited in place: the allow-lists refuse a bad interface before anything is sent ...
    rules.nth(1).get_by_role("button", name="Edit rule 2").click()
    editor = page.get_by_role("form", name="Edit firewall rule 2")
    editor.locator('[name="interface"]').fill("em0; pass all")
    editor.get_by_role("button", name="Save rule").click()
    editor.get_by_test_id("error-interface").wait_for()
    editor.locator('[name="interface"]').fill("em0")
    editor.locator('[name="port"]').fill("2323")
    editor.locator('[name="comment"]').fill("no telnet, not even on 2323")
    editor.get_by_role("button", name="Save rule").click()
    rule_ports = lambda: list(FirewallRule.objects.order_by("index").values_list("port", flat=True))  # noqa: E731
    rules.filter(has_text="port 2323").wait_for()
    assert in_thread(rule_ports) == [22, 2323]
    # ... and the edit is a step of the designer's undo history, like the drag before it.
    page.get_by_test_id("undo").click()
    rules.filter(has_text=re.compile(r"port 23\b")).wait_for()
    assert in_thread(rule_ports) == [22, 23]
    assert in_thread(lambda: FirewallRule.objects.get(port=23).comment) == "no telnet"
    page.get_by_test_id("redo").click()
    rules.filter(has_text="port 2323").wait_for()
    assert in_thread(rule_ports) == [22, 2323]
    # A delete is undone too (the rule comes back in its place); the reorder before it as well.
    rules.nth(0).get_by_role("button", name="Delete rule 1").click()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=firewall-rule]').length === 1")
    page.keyboard.press("Control+z")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=firewall-rule]').length === 2")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=firewall-rule]')[0].textContent.includes('port 22')"
    )
    assert in_thread(rule_ports) == [22, 2323]

    # A port redirect from the palette, shown in the same view as the filter rules.
    page.get_by_test_id("palette-redirect").click()
    page.locator('form[data-testid="form-redirect"]').wait_for()
    select(page, "host-jailhost-a")
    page.get_by_test_id("firewall-redirect").filter(has_text="port 8080 → www:80").wait_for()

    routes = page.get_by_test_id("static-routes")
    routes.locator('[name="name"]').fill("lan2")
    routes.locator('[name="destination"]').fill("10.0.2.0/24")
    routes.locator('[name="gateway"]').fill("192.168.0.254")
    routes.get_by_role("button", name="Add route").click()
    routes.get_by_test_id("static-route").filter(has_text="lan2: 10.0.2.0/24 via 192.168.0.254").wait_for()
    assert in_thread(lambda: StaticRoute.objects.get().gateway) == "192.168.0.254"
    # The panel itself, from its title: rules in order, NAT and redirects, static routes.
    if os.environ.get("JAILNET_SCREENSHOTS") == "1":
        page.get_by_test_id("firewall-panel").scroll_into_view_if_needed()
        page.get_by_test_id("firewall-panel").screenshot(path=str(SCREENSHOTS / "firewall-panel.png"))

    tab(page, "Configuration")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=config-text]')]"
        ".some(e => e.textContent.includes('route_lan2'))",
        timeout=15_000,
    )
    text = "\n".join(page.get_by_test_id("config-text").all_inner_texts())
    # pf.conf names the external interface $ext_if and well-known ports by service (ssh).
    ssh = re.search(r"pass in quick on \S+ proto tcp .*port (22|ssh)\b", text)
    telnet = re.search(r"block in on \S+ proto tcp .*port 2323\b", text)
    assert ssh and telnet, text
    assert ssh.start() < telnet.start(), "the rules are rendered in the order they were dragged into"
    assert re.search(r"rdr on \S+ proto tcp .*port 8080 -> 10\.1\.1\.2 port (80|http)", text), text
    assert 'route_lan2="10.0.2.0/24 192.168.0.254"' in text


def test_ipfw_rules_added_and_reordered_in_the_browser_are_the_hosts_ipfw_rules_file(
    new_page, make_browser_user, app_url, transactional_db
) -> None:
    page, panel = open_new_firewall(new_page, make_browser_user, app_url, "ipfw")
    assert panel.locator('[name="quick"]').count() == 0  # ipfw: the first match decides, always

    add_rule(page, action="block", direction="in", protocol="tcp", interface="em0", port="23")
    add_rule(page, action="pass", direction="in", protocol="tcp", interface="em0", destination="192.168.0.2", port="22")
    rules = page.get_by_test_id("firewall-rule")
    assert "allow tcp from any to 192.168.0.2 22 in via em0" in rules.nth(1).inner_text()
    rules.nth(1).drag_to(rules.nth(0))
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=firewall-rule]')[0].textContent.includes(' 22 ')"
    )
    panel.locator('[name="default_block"]').click()  # written to the server, then shown checked
    page.wait_for_function("() => document.querySelector('[data-testid=firewall-panel] [name=default_block]').checked")

    tab(page, "Configuration")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=config-text]')]"
        ".some(e => e.textContent.includes('add 65000 deny ip from any to any'))",
        timeout=15_000,
    )
    text = "\n".join(page.get_by_test_id("config-text").all_inner_texts())
    assert 'firewall_type="/etc/ipfw.rules"' in text
    ssh = text.index("add 1000 allow tcp from any to 192.168.0.2 22 in via em0 keep-state")
    telnet = text.index("add 1010 deny tcp from any to any 23 in via em0")
    assert ssh < telnet
