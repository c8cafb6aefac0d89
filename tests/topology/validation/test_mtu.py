"""JN4xx: MTU along the path — underlay, VXLAN, bridges and guests."""

from __future__ import annotations

from topology import snapshot as s

from .factories import (
    assert_finding,
    assert_no_finding,
    change,
    host,
    services_design,
    vxlan_design,
    with_host,
    with_nic,
    with_segment,
    with_vm_nic,
)


def test_vxlan_mtu_above_underlay_minus_50_is_an_error():
    design = vxlan_design()
    broken = with_segment(design, "vxlan222", mtu=1460)
    found = [f for f in _findings(broken, "JN401")]
    assert len(found) == 3  # one per member: each has its own underlay
    assert found[0].severity == "error"
    assert [ref.path for ref in found[0].objects] == [
        "vxlan_segments/vxlan222",
        "vxlan_segments/vxlan222/members/gateway/vxlan222",
    ]
    assert "at most 1450" in found[0].message
    assert_no_finding(design, "JN401")


def test_vxlan_mtu_uses_the_underlay_interfaces_own_mtu():
    design = with_segment(vxlan_design(), "vxlan222", mtu=1500)
    jumbo = change(design, underlay_mtu=9000)
    assert_no_finding(jumbo, "JN401")
    small_igb0 = with_host(
        jumbo, "jailhost-a", interfaces=(s.Interface(name="igb0", address="192.168.0.10/24", mtu=1500),)
    )
    assert_finding(
        small_igb0, "JN401", "error", "vxlan_segments/vxlan222", "vxlan_segments/vxlan222/members/jailhost-a/vxlan222"
    )


def _findings(design, code):
    from topology.validation import validate

    return [f for f in validate(design).findings if f.code == code]


def test_switch_with_vxlan_and_ethernet_members_of_different_mtu_is_an_error():
    design = vxlan_design()
    jailhost_a = host(design, "jailhost-a")
    interfaces = (*jailhost_a.interfaces, s.Interface(name="igb1"))
    switches = (change(jailhost_a.switches[0], ports=(s.SwitchPort("igb1"),)), jailhost_a.switches[1])
    broken = with_host(design, "jailhost-a", interfaces=interfaces, switches=switches)
    finding = assert_finding(broken, "JN402", "error", "jailhost-a/switches/switch111")
    assert "vxlan111 1450, igb1 1500" in finding.message
    fixed_interfaces = (*jailhost_a.interfaces, s.Interface(name="igb1", mtu=1450))
    assert_no_finding(with_host(broken, "jailhost-a", interfaces=fixed_interfaces), "JN402")
    assert_no_finding(design, "JN402")


def test_jail_nic_mtu_different_from_vxlan_switch_is_an_error():
    design = vxlan_design()
    broken = with_nic(design, "jailhost-a", "vnetjail-a", mtu=None)
    finding = assert_finding(broken, "JN403", "error", "jailhost-a/jails/vnetjail-a/nics/vnet0")
    assert finding.message == (
        "vnetjail-a NIC vnet0 MTU 1500 differs from switch222's MTU 1450 (from vxlan222); set the NIC's mtu to 1450"
    )
    assert_no_finding(design, "JN403")


def test_vm_nic_mtu_different_from_switch_is_an_error():
    design = services_design()
    broken = with_vm_nic(design, "jailhost", "guest", mtu=9000)
    assert_finding(broken, "JN403", "error", "jailhost/vms/guest/nics/0")
    assert_no_finding(design, "JN403")


def test_switch_mtu_setting_decides_the_guest_mtu():
    design = services_design()
    switch = host(design, "jailhost").switches[0]
    jumbo = with_host(design, "jailhost", switches=(change(switch, mtu=9000),))
    found = _findings(jumbo, "JN403")
    assert [ref.path for f in found for ref in f.objects] == [
        "jailhost/jails/vnetcage/nics/vnet0",
        "jailhost/vms/guest/nics/0",
    ]
    assert "services's MTU 9000 (from its mtu setting)" in found[0].message


def test_vlan_mtu_above_parent_is_an_error():
    design = services_design()
    interfaces = host(design, "jailhost").interfaces
    broken = with_host(design, "jailhost", interfaces=(interfaces[0], change(interfaces[1], mtu=9000), interfaces[2]))
    assert_finding(broken, "JN404", "error", "jailhost/interfaces/em0.101", "jailhost/interfaces/em0")
    assert_no_finding(design, "JN404")
