"""JN1xx: duplicate identities and names FreeBSD and the tools accept."""

from __future__ import annotations

from topology import snapshot as s
from topology.validation import identity_findings

from .factories import (
    assert_finding,
    assert_no_finding,
    change,
    findings,
    host,
    replace_item,
    services_design,
    vxlan_design,
    with_host,
    with_jail,
    with_member,
    with_segment,
)


def test_duplicate_host_name_is_an_identity_error():
    design = vxlan_design()
    broken = change(design, hosts=(*design.hosts, change(design.hosts[1], id=7)))
    finding = assert_finding(broken, "JN101", "error", "jailhost-a", "jailhost-a")
    assert [ref.id for ref in finding.objects] == [None, 7]
    assert [f.code for f in identity_findings(broken)] == ["JN101"]
    assert_no_finding(design, "JN101")
    assert identity_findings(design) == []


def test_duplicate_interface_on_a_host_is_an_identity_error():
    design = services_design()
    interfaces = host(design, "jailhost").interfaces
    broken = with_host(design, "jailhost", interfaces=(*interfaces, s.Interface(name="lo1", kind="loopback")))
    assert_finding(broken, "JN102", "error", "jailhost/interfaces/lo1", "jailhost/interfaces/lo1")
    assert "JN102" in {f.code for f in identity_findings(broken)}
    assert_no_finding(design, "JN102")


def test_duplicate_switch_on_a_host_is_an_identity_error():
    design = vxlan_design()
    switches = host(design, "jailhost-a").switches
    broken = with_host(design, "jailhost-a", switches=(*switches, s.Switch(name="switch111")))
    assert_finding(broken, "JN103", "error", "jailhost-a/switches/switch111", "jailhost-a/switches/switch111")
    assert "JN103" in {f.code for f in identity_findings(broken)}
    assert_no_finding(design, "JN103")


def test_duplicate_jail_name_on_a_host_is_an_identity_error():
    design = vxlan_design()
    jails = host(design, "jailhost-b").jails
    broken = with_host(design, "jailhost-b", jails=(*jails, s.Jail(name="vnetjail-b", inherit=True)))
    finding = assert_finding(broken, "JN104", "error", "jailhost-b/jails/vnetjail-b", "jailhost-b/jails/vnetjail-b")
    assert "2 jails named vnetjail-b" in finding.message
    assert "JN104" in {f.code for f in identity_findings(broken)}
    assert_no_finding(design, "JN104")


def test_same_jail_name_on_two_hosts_is_fine():
    design = vxlan_design()
    renamed = with_jail(design, "jailhost-b", "vnetjail-b", name="vnetjail-a")
    assert_no_finding(renamed, "JN104")


def test_duplicate_vm_name_on_a_host_is_an_identity_error():
    design = vxlan_design()
    vms = host(design, "jailhost-a").vms
    broken = with_host(design, "jailhost-a", vms=(*vms, s.VirtualMachine(name="guest-a")))
    assert_finding(broken, "JN105", "error", "jailhost-a/vms/guest-a", "jailhost-a/vms/guest-a")
    assert_no_finding(design, "JN105")


def test_two_vxlan_members_with_one_interface_name_on_a_host_is_an_identity_error():
    design = vxlan_design()
    broken = with_member(design, "vxlan222", "jailhost-a", interface_name="vxlan111")
    finding = assert_finding(
        broken,
        "JN106",
        "error",
        "vxlan_segments/vxlan111/members/jailhost-a/vxlan111",
        "vxlan_segments/vxlan222/members/jailhost-a/vxlan111",
    )
    assert "segments vxlan111, vxlan222" in finding.message
    assert "JN106" in {f.code for f in identity_findings(broken)}
    assert_no_finding(design, "JN106")


def test_duplicate_segment_name_is_an_identity_error():
    design = vxlan_design()
    broken = with_segment(design, "vxlan222", name="vxlan111")
    assert_finding(broken, "JN107", "error", "vxlan_segments/vxlan111", "vxlan_segments/vxlan111")
    assert_no_finding(design, "JN107")


def test_duplicate_static_route_name_is_an_identity_error():
    routes = (
        s.StaticRoute(name="vxlan111", destination="239.0.0.111/32", interface="em1"),
        s.StaticRoute(name="vxlan111", destination="239.0.0.222/32", interface="em1"),
    )
    design = with_host(vxlan_design(), "gateway", static_routes=routes[:1])
    broken = with_host(design, "gateway", static_routes=routes)
    assert_finding(broken, "JN108", "error", "gateway/static_routes/vxlan111", "gateway/static_routes/vxlan111")
    assert_no_finding(design, "JN108")


def test_duplicate_nic_name_in_a_jail_is_an_identity_error():
    design = vxlan_design()
    nic = host(design, "jailhost-a").jails[0].nics[0]
    broken = with_jail(design, "jailhost-a", "vnetjail-a", nics=(nic, change(nic, switch="switch111")))
    assert_finding(
        broken, "JN109", "error", "jailhost-a/jails/vnetjail-a/nics/vnet0", "jailhost-a/jails/vnetjail-a/nics/vnet0"
    )
    assert_no_finding(design, "JN109")


def test_interface_added_to_a_switch_twice_is_an_identity_error():
    design = with_host(
        services_design(),
        "jailhost",
        switches=(
            s.Switch(name="services", kind="vm-switch", address="10.1.1.1/24", ports=(s.SwitchPort("em0.101"),)),
        ),
    )
    switch = host(design, "jailhost").switches[0]
    broken = with_host(design, "jailhost", switches=(change(switch, ports=switch.ports * 2),))
    path = "jailhost/switches/services/ports/em0.101"
    assert_finding(broken, "JN110", "error", path, path)
    assert_no_finding(design, "JN110")


def test_switch_named_like_a_host_interface_is_an_error():
    design = vxlan_design()
    broken = with_host(design, "jailhost-a", switches=(*host(design, "jailhost-a").switches, s.Switch(name="igb0")))
    finding = assert_finding(broken, "JN111", "error", "jailhost-a/interfaces/igb0", "jailhost-a/switches/igb0")
    assert "two interfaces named igb0" in finding.message
    assert_no_finding(design, "JN111")


def test_interface_name_longer_than_15_characters_is_an_error():
    design = vxlan_design()
    broken = with_member(design, "vxlan111", "gateway", interface_name="vxlan-to-jailhosts")
    finding = assert_finding(broken, "JN112", "error", "vxlan_segments/vxlan111/members/gateway/vxlan-to-jailhosts")
    assert "18 characters" in finding.message
    assert_no_finding(design, "JN112")


def test_derived_vm_switch_interface_name_is_checked():
    design = services_design()
    switch = host(design, "jailhost").switches[0]
    broken = with_host(design, "jailhost", switches=(change(switch, name="services-lan1"),))
    finding = assert_finding(broken, "JN112", "error", "jailhost/switches/services-lan1")
    assert "vm-services-lan1" in finding.message


def test_interface_name_with_a_space_is_an_error():
    design = services_design()
    interfaces = replace_item(host(design, "jailhost").interfaces, 2, name="lo 1")
    broken = with_host(design, "jailhost", interfaces=interfaces)
    assert_finding(broken, "JN112", "error", "jailhost/interfaces/lo 1")


def test_interface_names_that_collide_in_rc_conf_are_an_error():
    design = services_design()
    interfaces = host(design, "jailhost").interfaces
    broken = with_host(design, "jailhost", interfaces=(*interfaces, s.Interface(name="em0_101")))
    finding = assert_finding(broken, "JN113", "error", "jailhost/interfaces/em0.101", "jailhost/interfaces/em0_101")
    assert "ifconfig_em0_101" in finding.message
    assert_no_finding(design, "JN113")


def test_vm_switch_name_longer_than_12_characters_is_an_error():
    design = services_design()
    switch = host(design, "jailhost").switches[0]
    broken = with_host(design, "jailhost", switches=(change(switch, name="servicesnet12x"),))
    assert_finding(broken, "JN114", "error", "jailhost/switches/servicesnet12x")
    assert_no_finding(design, "JN114")


def test_jail_name_with_a_dot_is_an_error():
    design = services_design()
    broken = with_jail(design, "jailhost", "vlancage", name="vlan.cage")
    assert_finding(broken, "JN115", "error", "jailhost/jails/vlan.cage")
    assert_no_finding(design, "JN115")


def test_vm_name_starting_with_a_dash_is_an_error():
    design = services_design()
    vm = host(design, "jailhost").vms[0]
    broken = with_host(design, "jailhost", vms=(change(vm, name="-guest"),))
    assert_finding(broken, "JN115", "error", "jailhost/vms/-guest")


def test_host_name_that_is_not_a_hostname_is_a_warning():
    design = services_design()
    broken = with_host(design, "pothost", name="pot_host")
    assert_finding(broken, "JN116", "warning", "pot_host")
    assert_no_finding(design, "JN116")


def test_values_outside_their_allow_list_are_errors_with_their_location():
    design = services_design()
    broken = with_host(design, "jailhost", zfs_pool="tank;reboot", release="14.1-RELEASE\n")
    assert "'14.1-RELEASE\\n'" in findings(broken, "JN117")[0].message
    codes = [(f.code, f.objects[0].path) for f in findings(broken, "JN117")]
    assert codes == [("JN117", "design.hosts[jailhost].release"), ("JN117", "design.hosts[jailhost].zfs_pool")]
    assert_no_finding(design, "JN117")
    assert_finding(
        with_host(design, "jailhost", vm_dir="zfs:zroot/vms$(id)"), "JN117", "error", "design.hosts[jailhost].vm_dir"
    )
