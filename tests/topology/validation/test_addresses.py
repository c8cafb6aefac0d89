"""JN2xx: address syntax, duplicates, subnets, default routers and static routes."""

from __future__ import annotations

from topology import snapshot as s

from .factories import (
    assert_finding,
    assert_no_finding,
    findings,
    host,
    replace_item,
    services_design,
    vxlan_design,
    with_host,
    with_jail,
    with_member,
    with_nic,
    with_segment,
    with_vm,
    with_vm_nic,
)


def test_address_that_is_not_ipv4_is_an_error():
    design = vxlan_design()
    broken = with_nic(design, "jailhost-a", "vnetjail-a", address="10.0.222.300/24")
    finding = assert_finding(broken, "JN201", "error", "jailhost-a/jails/vnetjail-a/nics/vnet0")
    assert "'10.0.222.300/24'" in finding.message
    assert_no_finding(design, "JN201")


def test_interface_address_without_prefix_length_is_an_error():
    broken = with_host(vxlan_design(), "gateway", interfaces=(s.Interface(name="em0", address="203.0.113.2"),))
    finding = assert_finding(broken, "JN201", "error", "gateway/interfaces/em0")
    assert "needs a prefix length" in finding.message


def test_plain_jail_alias_without_prefix_means_a_host_address():
    design = services_design()  # vlancage uses "10.2.1.2" as in the article's ip4_addr="em0.101|10.1.1.2"
    assert_no_finding(design, "JN201")
    assert_no_finding(design, "JN211")


def test_address_with_leading_zeros_is_an_error():
    broken = with_host(vxlan_design(), "jailhost-a", default_router="192.168.0.01")
    assert_finding(broken, "JN201", "error", "jailhost-a")


def test_two_guests_with_one_address_on_a_vxlan_segment_is_an_error():
    design = vxlan_design()
    # vnetjail-b (jailhost-b, switch111) takes guest-a's address (jailhost-a, switch111): same segment vxlan111.
    broken = with_nic(design, "jailhost-b", "vnetjail-b", address="10.0.111.13/24")
    finding = assert_finding(
        broken, "JN202", "error", "jailhost-a/vms/guest-a/nics/0", "jailhost-b/jails/vnetjail-b/nics/vnet0"
    )
    assert "10.0.111.13" in finding.message
    assert "VXLAN segment vxlan111" in finding.message
    assert_no_finding(design, "JN202")


def test_same_address_on_separate_switches_is_fine():
    design = services_design()
    # 10.1.1.2 also exists on the isolated pot bridge of another host: different networks.
    moved = with_nic(design, "pothost", "vnetpot1", address="10.192.0.2/10")
    assert_no_finding(moved, "JN202")


def test_plain_jail_alias_equal_to_another_hosts_address_on_the_segment_is_an_error():
    design = vxlan_design()
    broken = with_jail(
        design, "jailhost-b", "plainjail-b", addresses=(s.JailAddress(interface="vxlan111", address="10.0.111.10/32"),)
    )
    assert_finding(
        broken,
        "JN202",
        "error",
        "vxlan_segments/vxlan111/members/jailhost-a/vxlan111",
        "jailhost-b/jails/plainjail-b/addresses/0",
    )


def test_plain_jail_may_use_its_interfaces_own_address():
    design = with_jail(
        services_design(),
        "jailhost",
        "vlancage",
        addresses=(s.JailAddress(interface="em0.101", address="10.2.1.1/24"),),
    )
    assert_no_finding(design, "JN202")
    assert_no_finding(design, "JN203")
    assert_no_finding(design, "JN210")


def test_same_address_on_two_interfaces_of_a_host_is_an_error():
    design = services_design()
    interfaces = replace_item(host(design, "jailhost").interfaces, 2, address="10.2.1.1/32")
    broken = with_host(design, "jailhost", interfaces=interfaces)
    finding = assert_finding(broken, "JN203", "error", "jailhost/interfaces/em0.101", "jailhost/interfaces/lo1")
    assert "10.2.1.1 on more than one interface" in finding.message
    assert_no_finding(design, "JN203")


def test_plain_jails_sharing_an_alias_is_a_warning():
    design = services_design()
    jails = host(design, "jailhost").jails
    twin = s.Jail(name="locage2", addresses=(s.JailAddress(interface="lo1", address="172.31.255.17/32"),))
    broken = with_host(design, "jailhost", jails=(*jails, twin))
    finding = assert_finding(
        broken, "JN204", "warning", "jailhost/jails/locage/addresses/0", "jailhost/jails/locage2/addresses/0"
    )
    assert "locage, locage2" in finding.message
    assert_no_finding(design, "JN204")


def test_overlapping_subnets_on_two_interfaces_of_a_host_is_an_error():
    design = services_design()
    interfaces = replace_item(host(design, "jailhost").interfaces, 1, address="10.1.2.1/16")
    broken = with_host(design, "jailhost", interfaces=interfaces)
    finding = assert_finding(broken, "JN205", "error", "jailhost/interfaces/em0.101", "jailhost/switches/services")
    assert "10.1.0.0/16" in finding.message and "10.1.1.0/24" in finding.message
    assert_no_finding(design, "JN205")


def test_host_address_on_a_vxlan_backed_switch_does_not_overlap():
    # The article: switch111 10.0.111.12/32 next to vxlan111 10.0.111.10/24 on jailhost-a.
    assert_no_finding(vxlan_design(), "JN205")


def test_jail_nic_outside_switch_subnet_is_an_error():
    design = vxlan_design()
    broken = with_nic(design, "jailhost-a", "vnetjail-a", address="10.0.111.13/24")
    finding = assert_finding(broken, "JN206", "error", "jailhost-a/jails/vnetjail-a/nics/vnet0")
    assert finding.message == "vnetjail-a NIC vnet0 address 10.0.111.13/24 is outside switch222's subnet 10.0.222.0/24"
    assert_no_finding(design, "JN206")


def test_vm_static_address_outside_switch_subnet_is_an_error():
    design = services_design()
    broken = with_vm_nic(design, "jailhost", "guest", dhcp=False, address="10.2.1.50/24")
    finding = assert_finding(broken, "JN206", "error", "jailhost/vms/guest/nics/0")
    assert "vm-services's subnet 10.1.1.0/24" in finding.message


def test_guest_prefix_length_different_from_subnet_is_a_warning():
    design = vxlan_design()
    broken = with_nic(design, "jailhost-a", "vnetjail-a", address="10.0.222.13/16")
    assert_finding(broken, "JN207", "warning", "jailhost-a/jails/vnetjail-a/nics/vnet0")
    assert_no_finding(broken, "JN206")
    assert_no_finding(design, "JN207")


def test_vxlan_member_address_outside_segment_subnet_is_an_error():
    design = vxlan_design()
    broken = with_member(design, "vxlan222", "jailhost-b", address="10.0.111.30/24")
    finding = assert_finding(broken, "JN208", "error", "vxlan_segments/vxlan222/members/jailhost-b/vxlan222")
    assert "10.0.222.0/24" in finding.message
    assert_no_finding(design, "JN208")


def test_plain_jail_alias_outside_vxlan_interface_subnet_is_an_error():
    design = vxlan_design()
    broken = with_jail(
        design, "jailhost-b", "plainjail-b", addresses=(s.JailAddress(interface="vxlan111", address="10.0.222.21/32"),)
    )
    finding = assert_finding(broken, "JN209", "error", "jailhost-b/jails/plainjail-b/addresses/0")
    assert "vxlan111" in finding.message
    assert_no_finding(design, "JN209")


def test_loopback_alias_outside_any_subnet_is_fine():
    design = with_jail(
        services_design(), "jailhost", "locage", addresses=(s.JailAddress(interface="lo1", address="172.31.9.9/32"),)
    )
    assert_no_finding(design, "JN209")


def test_plain_jail_reusing_interface_address_with_another_prefix_is_an_error():
    design = services_design()
    broken = with_jail(
        design, "jailhost", "vlancage", addresses=(s.JailAddress(interface="em0.101", address="10.2.1.1/32"),)
    )
    finding = assert_finding(
        broken, "JN210", "error", "jailhost/jails/vlancage/addresses/0", "jailhost/interfaces/em0.101"
    )
    assert "write 10.2.1.1/24" in finding.message
    assert_no_finding(design, "JN210")


def test_plain_jail_alias_with_subnet_prefix_is_a_warning():
    design = services_design()
    broken = with_jail(
        design, "jailhost", "vlancage", addresses=(s.JailAddress(interface="em0.101", address="10.2.1.2/24"),)
    )
    finding = assert_finding(broken, "JN211", "warning", "jailhost/jails/vlancage/addresses/0")
    assert "10.2.1.2/32" in finding.message
    assert_no_finding(design, "JN211")


def test_broadcast_address_on_a_nic_is_an_error():
    design = vxlan_design()
    broken = with_nic(design, "jailhost-a", "vnetjail-a", address="10.0.222.255/24")
    finding = assert_finding(broken, "JN212", "error", "jailhost-a/jails/vnetjail-a/nics/vnet0")
    assert "broadcast address" in finding.message
    assert_no_finding(design, "JN212")


def test_network_address_on_an_interface_is_an_error():
    broken = with_host(vxlan_design(), "jailhost-a", interfaces=(s.Interface(name="igb0", address="192.168.0.0/24"),))
    assert_finding(broken, "JN212", "error", "jailhost-a/interfaces/igb0")


def test_vnet_jail_default_router_off_its_subnet_is_an_error():
    design = vxlan_design()
    broken = with_jail(design, "jailhost-a", "vnetjail-a", default_router="10.0.111.1")
    finding = assert_finding(broken, "JN213", "error", "jailhost-a/jails/vnetjail-a")
    assert "10.0.111.1" in finding.message and "10.0.222.0/24" in finding.message
    assert_no_finding(design, "JN213")


def test_host_default_router_off_its_subnets_is_an_error():
    broken = with_host(vxlan_design(), "jailhost-b", default_router="192.168.1.1")
    assert_finding(broken, "JN213", "error", "jailhost-b")


def test_vm_default_router_off_its_subnet_is_an_error():
    broken = with_vm(vxlan_design(), "jailhost-b", "guest-b", default_router="10.0.111.1")
    assert_finding(broken, "JN213", "error", "jailhost-b/vms/guest-b")


def test_default_router_is_not_checked_for_a_host_on_dhcp():
    broken = with_host(vxlan_design(), "jailhost-b", default_router="192.168.1.1")
    on_dhcp = with_host(broken, "jailhost-b", interfaces=(s.Interface(name="em0", dhcp=True),))
    assert_no_finding(on_dhcp, "JN213")


def test_static_route_gateway_off_host_subnets_is_an_error():
    route = s.StaticRoute(name="lab", destination="10.9.0.0/16", gateway="192.168.0.254")
    design = with_host(vxlan_design(), "gateway", static_routes=(route,))
    broken = with_host(
        design, "gateway", static_routes=(s.StaticRoute(name="lab", destination="10.9.0.0/16", gateway="10.5.0.1"),)
    )
    assert_finding(broken, "JN214", "error", "gateway/static_routes/lab")
    assert_no_finding(design, "JN214")


def test_static_route_without_gateway_or_interface_is_an_error():
    design = with_host(vxlan_design(), "gateway", static_routes=(s.StaticRoute(name="lab", destination="10.9.0.0/16"),))
    finding = assert_finding(design, "JN214", "error", "gateway/static_routes/lab")
    assert "neither gateway nor interface" in finding.message


def test_subnet_with_host_bits_is_a_warning():
    design = vxlan_design()
    broken = with_segment(design, "vxlan111", subnet="10.0.111.1/24")
    finding = assert_finding(broken, "JN215", "warning", "vxlan_segments/vxlan111")
    assert "10.0.111.0/24" in finding.message
    assert_no_finding(design, "JN215")


def test_switch_address_is_checked_by_name_on_vm_switches():
    # A plain jail aliased on the vm-bhyve switch by its interface name vm-services.
    design = services_design()
    jails = host(design, "jailhost").jails
    aliased = s.Jail(name="svc", addresses=(s.JailAddress(interface="vm-services", address="10.1.1.5/32"),))
    assert findings(with_host(design, "jailhost", jails=(*jails, aliased)), "JN712") == []


def test_address_on_a_bridge_member_is_a_warning_on_freebsd_15():
    from topology import snapshot as s

    from .factories import assert_finding, assert_no_finding

    def design(release):
        host = s.Host(
            name="h",
            release=release,
            interfaces=(s.Interface(name="em1", address="10.9.0.2/24"),),
            switches=(s.Switch(name="lan", ports=(s.SwitchPort(interface="em1"),)),),
        )
        return s.DesignSnapshot(name="v", hosts=(host,))

    finding = assert_finding(design("15.0-RELEASE"), "JN216", "warning", "h/interfaces/em1")
    assert "the address goes on lan" in finding.message
    assert_no_finding(design("14.1-RELEASE"), "JN216")
