"""The live plan's pure part: sorting the agent's ``@@plan`` lines and the management-path warnings."""

from __future__ import annotations

import pytest

from executors.deploy.plan import (
    LivePlan,
    categorize,
    firewall_rules_matching_ssh,
    management_warnings,
    parse_plan_output,
)
from topology.render.bundle import Bundle, BundleFile


@pytest.mark.parametrize(
    "action,category,interface",
    [
        ("interface switch111 created", "interfaces_created", "switch111"),
        ("VLAN interface igb0.101 created", "interfaces_created", "igb0.101"),
        ("link vxlan222 created in jn-h", "interfaces_created", "vxlan222"),
        ("interface switch111 destroyed", "interfaces_destroyed", "switch111"),
        ("link epair0a removed", "interfaces_destroyed", "epair0a"),
        ("namespace jn-h-j-web removed", "interfaces_destroyed", "jn-h-j-web"),
        ("vxlan111 added to switch111", "members_added", "vxlan111"),
        ("link tap0 added to switch111", "members_added", "tap0"),
        ("link epair0a removed from switch111", "members_removed", "epair0a"),
        ("vxlan111 removed from switch111", "members_removed", "vxlan111"),
        ("address 10.0.111.12/32 on switch111", "addresses_added", "switch111"),
        ("address 10.0.111.12 removed from switch111", "addresses_removed", "switch111"),
        ("jail vnetjail-a restarted", "restarts", ""),
        ("VM guest-a started", "restarts", ""),
        ("dnsmasq (/srv/lab/dnsmasq.conf) restarted", "restarts", ""),
        ("natd restarted (/etc/rc.conf.local changed)", "restarts", ""),
        ("pf rules reloaded from /etc/pf.conf", "firewall", ""),
        ("nftables table jailnet_lab loaded in jn-gw", "firewall", ""),
        ("default route via 192.168.0.1", "routes", ""),
        ("route 239.0.0.111/32 -interface igb0", "routes", ""),
        ("file /etc/rc.conf.local", "files", ""),
        ("interface igb0 mtu 1500 -> 9000", "other", "igb0"),
    ],
)
def test_every_action_the_libraries_print_has_its_category(action: str, category: str, interface: str):
    assert categorize(action) == (category, interface)


def test_the_agent_output_becomes_a_plan_and_other_lines_are_ignored():
    plan = parse_plan_output(
        "h", ["@@address 192.168.0.10 igb0", "noise", "@@plan interface switch111 created", "@@plan file /etc/x"]
    )
    assert plan.management_interface == "igb0"
    assert plan.actions == {"interfaces_created": ["interface switch111 created"], "files": ["file /etc/x"]}
    assert not plan.unchanged and parse_plan_output("h", ["@@address 1.2.3.4 em0"]).unchanged


def _bundle(*files: tuple[str, str]) -> Bundle:
    return Bundle("h", "freebsd", tuple(BundleFile(p, "0644", "root:wheel", c) for p, c in files), "", ())


def test_actions_on_the_management_interface_or_address_and_the_default_route_are_warned():
    plan = LivePlan("h", management_interface="igb0")
    plan.actions = {
        "addresses_removed": ["address 192.168.0.10 removed from igb0"],
        "addresses_added": ["address 10.0.0.5/24 on igb0"],
        "other": ["interface igb0 mtu 1500 -> 9000", "interface igb0.101 up"],
        "members_added": ["vxlan111 added to switch111"],
        "routes": ["default route via 192.168.0.254"],
    }
    warnings = management_warnings(plan, bundle=None, management_address="192.168.0.10")
    assert warnings == [
        "address 10.0.0.5/24 on igb0: the interface the controller reaches this host through (igb0)",
        "address 192.168.0.10 removed from igb0: the address the controller reaches this host by",
        "default route via 192.168.0.254: the default route may carry the controller's connection",
        "interface igb0 mtu 1500 -> 9000: the interface the controller reaches this host through (igb0)",
    ]  # igb0.101 is another interface; vxlan111's membership does not touch igb0


def test_a_changed_firewall_whose_rules_could_match_ssh_is_warned_and_an_unchanged_one_is_not():
    pf = "set skip on lo0\nblock in all\npass in on igb0 proto tcp to port 80\n"
    bundle = _bundle(("/etc/pf.conf", pf), ("/etc/rc.conf.local", 'pf_enable="YES"\n'))
    changed = LivePlan("h", actions={"files": ["file /etc/pf.conf"]})
    [warning] = management_warnings(changed, bundle=bundle, management_address="192.168.0.10")
    assert warning.startswith("/etc/pf.conf changes and has rules that could match SSH (port 22): block in all")
    assert management_warnings(LivePlan("h"), bundle=bundle, management_address="192.168.0.10") == []


@pytest.mark.parametrize(
    "rule,matches",
    [
        ("block in all", True),
        ("block in on igb0 proto tcp to port 22", True),
        ("block in proto tcp to port { 80 22 }", True),
        ("block in proto tcp to port 443", False),
        ("pass in proto tcp to port 22", False),
        ('iifname "mgmt0" tcp dport 22 drop', True),
        ("tcp dport 80 drop", False),
        ("type filter hook input priority 0; policy drop;", True),
        ("add 100 deny tcp from any to me 22", True),
        ("# block in all", False),
        ("block in proto tcp to port ssh", True),
        ("block in proto tcp to port 2222", False),
    ],
)
def test_rules_that_could_match_a_new_ssh_connection(rule: str, matches: bool):
    assert bool(firewall_rules_matching_ssh(rule)) is matches
