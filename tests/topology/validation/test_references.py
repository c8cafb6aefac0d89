"""JN7xx: tools a host must have, and references that must resolve."""

from __future__ import annotations

from topology import snapshot as s

from .factories import (
    assert_finding,
    assert_no_finding,
    change,
    host,
    replace_item,
    services_design,
    vxlan_design,
    with_host,
    with_jail,
    with_member,
    with_nic,
    with_vm_nic,
)


def test_iocage_jail_on_a_host_without_iocage_is_an_error():
    design = vxlan_design()
    broken = with_host(design, "jailhost-a", tools=("vm-bhyve",))
    finding = assert_finding(broken, "JN701", "error", "jailhost-a/jails/vnetjail-a")
    assert "uses iocage (vnetjail-a) but iocage is not in its tools" in finding.message
    assert_no_finding(design, "JN701")


def test_vm_switch_and_vms_need_vm_bhyve():
    broken = with_host(services_design(), "jailhost", tools=("iocage", "dnsmasq"))
    assert_finding(broken, "JN701", "error", "jailhost/vms/guest", "jailhost/switches/services")


def test_dhcp_needs_dnsmasq():
    broken = with_host(services_design(), "jailhost", tools=("iocage", "vm-bhyve"))
    assert_finding(broken, "JN701", "error", "jailhost/dhcp/services")


def test_pot_bridge_pot_jails_and_pot_nat_need_pot():
    broken = with_host(services_design(), "pothost", tools=())
    assert_finding(broken, "JN701", "error", "pothost/jails/vnetpot1", "pothost/switches/bridge0", "pothost/nat/0")


def test_jail_conf_jails_need_no_tool():
    design = with_jail(vxlan_design(), "jailhost-a", "vnetjail-a", manager="jail.conf")
    assert_no_finding(with_host(design, "jailhost-a", tools=("vm-bhyve",)), "JN701")


def test_nic_on_a_switch_the_host_does_not_have_is_an_error():
    design = vxlan_design()
    broken = with_nic(design, "jailhost-a", "vnetjail-a", switch="switch333")
    finding = assert_finding(broken, "JN710", "error", "jailhost-a/jails/vnetjail-a/nics/vnet0")
    assert "switches: switch111, switch222" in finding.message
    assert_no_finding(design, "JN710")


def test_vm_nic_on_an_unknown_switch_is_an_error():
    broken = with_vm_nic(vxlan_design(), "jailhost-b", "guest-b", switch="public")
    assert_finding(broken, "JN710", "error", "jailhost-b/vms/guest-b/nics/0")


def test_vxlan_member_on_an_unknown_host_is_an_error():
    design = vxlan_design()
    broken = with_member(design, "vxlan222", "jailhost-b", host="jailhost-c")
    finding = assert_finding(broken, "JN711", "error", "vxlan_segments/vxlan222/members/jailhost-c/vxlan222")
    assert "jailhost-c, which is not in the design" in finding.message
    assert_no_finding(design, "JN711")


def test_vxlan_member_with_unknown_underlay_or_switch_is_an_error():
    broken = with_member(vxlan_design(), "vxlan222", "jailhost-b", underlay_interface="igb0", switch="switch2")
    found = [f for f in _all(broken) if f.code == "JN711"]
    assert len(found) == 2
    messages = " | ".join(f.message for f in found)
    assert "underlay igb0" in messages and "switch switch2" in messages


def _all(design):
    from topology.validation import validate

    return validate(design).findings


def test_plain_jail_alias_on_an_unknown_interface_is_an_error():
    design = vxlan_design()
    broken = with_jail(
        design, "jailhost-b", "plainjail-b", addresses=(s.JailAddress(interface="vxlan333", address="10.0.111.21/32"),)
    )
    finding = assert_finding(broken, "JN712", "error", "jailhost-b/jails/plainjail-b/addresses/0")
    assert "interfaces: em0, switch111, switch222, vxlan111, vxlan222" in finding.message
    assert_no_finding(design, "JN712")


def test_switch_port_that_is_not_a_host_interface_is_an_error():
    design = services_design()
    switch = host(design, "jailhost").switches[0]
    broken = with_host(design, "jailhost", switches=(change(switch, ports=(s.SwitchPort("em9"),)),))
    assert_finding(broken, "JN713", "error", "jailhost/switches/services/ports/em9")
    assert_no_finding(design, "JN713")


def test_loopback_as_switch_port_is_an_error():
    switch = host(services_design(), "jailhost").switches[0]
    broken = with_host(services_design(), "jailhost", switches=(change(switch, ports=(s.SwitchPort("lo1"),)),))
    assert "loopback" in assert_finding(broken, "JN713", "error", "jailhost/switches/services/ports/lo1").message


def test_interface_on_two_switches_is_an_error():
    design = services_design()
    switch = change(host(design, "jailhost").switches[0], ports=(s.SwitchPort("em0.101"),))
    other = s.Switch(name="bridge7", ports=(s.SwitchPort("em0.101"),))
    broken = with_host(design, "jailhost", switches=(switch, other))
    assert_finding(
        broken, "JN713", "error", "jailhost/switches/services/ports/em0.101", "jailhost/switches/bridge7/ports/em0.101"
    )


def test_vlan_interface_without_parent_is_an_error():
    design = services_design()
    interfaces = replace_item(host(design, "jailhost").interfaces, 1, parent=None)
    broken = with_host(design, "jailhost", interfaces=interfaces)
    assert "no parent" in assert_finding(broken, "JN714", "error", "jailhost/interfaces/em0.101").message
    assert_no_finding(design, "JN714")


def test_vlan_interface_without_tag_is_an_error():
    interfaces = replace_item(host(services_design(), "jailhost").interfaces, 1, vlan_tag=None)
    broken = with_host(services_design(), "jailhost", interfaces=interfaces)
    assert "no VLAN tag" in assert_finding(broken, "JN714", "error", "jailhost/interfaces/em0.101").message


def test_vlan_tag_4095_is_an_error():
    interfaces = replace_item(host(services_design(), "jailhost").interfaces, 1, vlan_tag=4095, name="em0.4095")
    broken = with_host(services_design(), "jailhost", interfaces=interfaces)
    assert_finding(broken, "JN714", "error", "jailhost/interfaces/em0.4095")


def test_vlan_name_not_matching_parent_and_tag_is_an_error():
    design = services_design()
    interfaces = replace_item(host(design, "jailhost").interfaces, 1, vlan_tag=102)
    broken = with_host(design, "jailhost", interfaces=interfaces)
    finding = assert_finding(broken, "JN715", "error", "jailhost/interfaces/em0.101")
    assert "name it em0.102" in finding.message
    assert_no_finding(design, "JN715")


def test_named_vlan_interface_is_fine():
    interfaces = replace_item(host(services_design(), "jailhost").interfaces, 1, name="vlan101")
    design = with_host(services_design(), "jailhost", interfaces=interfaces)
    assert_no_finding(design, "JN715")


def test_vlan_tag_used_twice_on_a_parent_is_an_error():
    design = services_design()
    interfaces = host(design, "jailhost").interfaces
    twin = change(interfaces[1], name="vlan101", address=None)
    broken = with_host(design, "jailhost", interfaces=(*interfaces, twin))
    assert_finding(broken, "JN716", "error", "jailhost/interfaces/em0.101", "jailhost/interfaces/vlan101")
    assert_no_finding(design, "JN716")


def test_vlan_tag_on_a_physical_interface_is_a_warning():
    design = services_design()
    interfaces = replace_item(host(design, "jailhost").interfaces, 0, vlan_tag=5)
    broken = with_host(design, "jailhost", interfaces=interfaces)
    assert_finding(broken, "JN717", "warning", "jailhost/interfaces/em0")
    assert_no_finding(design, "JN717")


def test_dhcp_service_on_an_unknown_switch_is_an_error():
    design = services_design()
    service = host(design, "jailhost").dhcp[0]
    broken = with_host(design, "jailhost", dhcp=(change(service, switch="public"),))
    assert_finding(broken, "JN718", "error", "jailhost/dhcp/public")
    assert_no_finding(design, "JN718")


def test_nat_on_an_interface_the_host_does_not_have_is_an_error():
    design = services_design()
    nat = host(design, "jailhost").nat
    broken = with_host(design, "jailhost", nat=replace_item(nat, 0, interface="igb0"))
    finding = assert_finding(broken, "JN719", "error", "jailhost/nat/0")
    assert "igb0" in finding.message
    assert_no_finding(design, "JN719")


def test_redirect_firewall_rule_and_route_on_unknown_interfaces_are_errors():
    design = services_design()
    jailhost = host(design, "jailhost")
    assert jailhost.firewall is not None
    broken = with_host(
        design,
        "jailhost",
        redirects=replace_item(jailhost.redirects, 0, interface="em1"),
        firewall=change(jailhost.firewall, rules=replace_item(jailhost.firewall.rules, 0, interface="em1")),
        static_routes=(s.StaticRoute(name="lab", destination="10.9.0.0/16", interface="em1"),),
    )
    paths = sorted(ref.path for f in _all(broken) if f.code == "JN719" for ref in f.objects)
    assert paths == ["jailhost/firewall/rules/0", "jailhost/redirects/0", "jailhost/static_routes/lab"]


def test_vlan_parent_must_be_a_physical_interface():
    from topology import snapshot as s

    from .factories import assert_finding, assert_no_finding

    def design(*interfaces):
        return s.DesignSnapshot(name="v", hosts=(s.Host(name="h", interfaces=interfaces),))

    good = design(s.Interface(name="em0"), s.Interface(name="em0.5", kind="vlan", parent="em0", vlan_tag=5))
    assert_no_finding(good, "JN720")
    assert_no_finding(good, "JN721")
    on_loopback = design(
        s.Interface(name="lo1", kind="loopback"), s.Interface(name="lo1.5", kind="vlan", parent="lo1", vlan_tag=5)
    )
    assert_finding(on_loopback, "JN720", "error", "h/interfaces/lo1.5")
    missing = design(s.Interface(name="em1.5", kind="vlan", parent="em1", vlan_tag=5))
    assert "brought up" in assert_finding(missing, "JN721", "warning", "h/interfaces/em1.5").message
