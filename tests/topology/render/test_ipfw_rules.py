"""ipfw with rules of its own: rc.firewall loads /etc/ipfw.rules (the rules in order, first match decides), the
deploy restarts ipfw when the file changes, the lab enforces the same order, and a lockout is warned about."""

from __future__ import annotations

from dataclasses import replace

from topology import snapshot as s
from topology.render.freebsd import render_host
from topology.render.freebsd.bundle import freebsd_bundle
from topology.render.lab.model import firewall_of
from topology.validation import validate

from .helpers import assert_in_order, example, file_content

RULES = (
    s.FirewallRule(action="pass", direction="in", protocol="tcp", interface="em0", destination="203.0.113.2", port=22,
                   comment="ssh to the gateway"),
    s.FirewallRule(action="block", direction="in", protocol="tcp", source="!10.0.0.0/8", port=23),
    s.FirewallRule(action="pass", protocol="icmp"),
)  # fmt: skip


def gateway_with_rules(default_block: bool = True) -> s.DesignSnapshot:
    """S10's gateway (ipfw + natd) given rules of its own."""
    design = example("s10-vxlan-multicast")
    hosts = tuple(
        replace(h, firewall=replace(h.firewall, rules=RULES, default_block=default_block))
        if h.name == "gateway" and h.firewall
        else h
        for h in design.hosts
    )
    return replace(design, hosts=hosts)


def test_ipfw_rules_are_written_in_order_and_rc_firewall_loads_them():
    config = render_host(gateway_with_rules(), "gateway")
    assert 'sysrc -f /etc/rc.conf.local firewall_type="/etc/ipfw.rules"' in config.script
    rules = file_content(config, "/etc/ipfw.rules")
    assert_in_order(
        rules,
        # rc.firewall diverts to natd only for its open and client types: the file does it, first.
        "add 50 divert natd ip4 from any to any via em0",
        "add 900 check-state",
        "# ssh to the gateway",
        "add 1000 allow tcp from any to 203.0.113.2 22 in via em0 keep-state",
        "add 1010 deny tcp from not 10.0.0.0/8 to any 23 in",
        "add 1020 allow icmp from any to any keep-state",
        "add 65000 deny ip from any to any",
    )
    assert 'natd_enable="YES"' in file_content(config, "/etc/rc.conf.local")


def test_without_rules_ipfw_keeps_its_rc_firewall_type():
    config = render_host(example("s10-vxlan-multicast"), "gateway")
    assert 'sysrc -f /etc/rc.conf.local firewall_type="open"' in config.script
    assert config.file("/etc/ipfw.rules") is None


def test_a_deploy_restarts_ipfw_when_its_rules_file_changes():
    bundle = freebsd_bundle(gateway_with_rules(), "gateway")
    assert "service_ensure ipfw /etc/rc.conf.local /etc/ipfw.rules\n" in bundle.apply
    assert "/etc/ipfw.rules" in [f.path for f in bundle.files]


def test_the_lab_decides_by_the_first_matching_ipfw_rule():
    gateway = next(h for h in gateway_with_rules().hosts if h.name == "gateway")
    assert gateway.firewall is not None
    firewall = firewall_of(gateway.firewall, lambda name: name, "gateway", [])
    assert firewall is not None
    ssh = firewall.allows("in", "em0", s_ip("192.0.2.7"), s_ip("203.0.113.2"), "tcp", 22)
    assert ssh == (True, "rule 1 (pass quick)")
    assert firewall.allows("in", "em0", s_ip("192.0.2.7"), s_ip("203.0.113.2"), "tcp", 23)[0] is False
    assert firewall.allows("in", "em0", s_ip("192.0.2.7"), s_ip("203.0.113.2"), "udp", 53) == (False, "default block")


def test_ipfw_rules_blocking_by_default_without_ssh_are_a_lockout_warning():
    design = gateway_with_rules()
    no_ssh = replace(
        design,
        hosts=tuple(
            replace(h, firewall=replace(h.firewall, rules=RULES[1:])) if h.name == "gateway" and h.firewall else h
            for h in design.hosts
        ),
    )
    codes = lambda d: [(f.code, [r.path for r in f.objects]) for f in validate(d).findings if f.code == "JN641"]  # noqa: E731
    assert codes(design) == []
    assert codes(no_ssh) == [("JN641", ["gateway/firewall"])]


def s_ip(text: str):  # type: ignore[no-untyped-def]
    from ipaddress import IPv4Address

    return IPv4Address(text)
