"""JN6xx: DHCP, MAC addresses, outbound NAT, port redirects and firewall policies."""

from __future__ import annotations

from topology import snapshot as s
from topology.validation import validate

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
    with_nic,
    with_vm_nic,
)


def with_dhcp(design: s.DesignSnapshot, **changes) -> s.DesignSnapshot:
    """The services design with its DHCP service changed."""
    service = host(design, "jailhost").dhcp[0]
    return with_host(design, "jailhost", dhcp=(change(service, **changes),))


def with_lease(design: s.DesignSnapshot, *leases: s.DhcpStaticLease) -> s.DesignSnapshot:
    return with_dhcp(design, static_leases=leases)


LEASE = s.DhcpStaticLease(mac="58:9c:fc:00:00:01", address="10.1.1.60")


def codes(design: s.DesignSnapshot, code: str):
    return [f for f in validate(design).findings if f.code == code]


def test_dhcp_range_starting_after_its_end_is_an_error():
    design = services_design()
    broken = with_dhcp(design, range_start="10.1.1.30")
    assert_finding(broken, "JN601", "error", "jailhost/dhcp/services")
    assert_no_finding(design, "JN601")


def test_dhcp_range_outside_switch_subnet_is_an_error():
    design = services_design()
    broken = with_dhcp(design, range_start="10.1.2.10", range_end="10.1.2.20")
    finding = assert_finding(broken, "JN602", "error", "jailhost/dhcp/services")
    assert "outside vm-services's subnet 10.1.1.0/24" in finding.message
    assert_no_finding(design, "JN602")


def test_dhcp_on_a_switch_with_a_host_address_is_an_error():
    design = services_design()
    switch = host(design, "jailhost").switches[0]
    broken = with_host(design, "jailhost", switches=(change(switch, address="10.1.1.1/32"),))
    finding = assert_finding(broken, "JN602", "error", "jailhost/dhcp/services")
    assert "only 10.1.1.1/32" in finding.message


def test_dhcp_range_including_the_broadcast_address_is_an_error():
    broken = with_dhcp(services_design(), range_end="10.1.1.255")
    finding = assert_finding(broken, "JN602", "error", "jailhost/dhcp/services")
    assert "broadcast" in finding.message


def test_dhcp_range_containing_a_static_address_is_an_error():
    design = services_design()
    broken = with_dhcp(design, range_start="10.1.1.2")
    finding = assert_finding(broken, "JN603", "error", "jailhost/dhcp/services", "jailhost/jails/vnetcage/nics/vnet0")
    assert "10.1.1.2 (vnetcage NIC vnet0)" in finding.message
    assert_no_finding(design, "JN603")


def test_dhcp_range_containing_the_switch_address_is_an_error():
    broken = with_dhcp(services_design(), range_start="10.1.1.1")
    finding = findings_of(broken, "JN603")
    assert "jailhost/switches/services" in [ref.path for ref in finding.objects]


def findings_of(design, code):
    found = codes(design, code)
    assert len(found) == 1, found
    return found[0]


def test_dhcp_reservation_outside_subnet_is_an_error():
    design = services_design()
    broken = with_lease(design, change(LEASE, address="192.168.0.60"))  # the article's illustrative address
    assert_finding(broken, "JN604", "error", "jailhost/dhcp/services/static_leases/0")
    assert_no_finding(design, "JN604")


def test_dhcp_reservation_inside_dynamic_range_is_a_warning():
    design = services_design()
    broken = with_lease(design, change(LEASE, address="10.1.1.15"))
    assert_finding(broken, "JN605", "warning", "jailhost/dhcp/services/static_leases/0")
    assert_no_finding(design, "JN605")


def test_duplicate_reservation_mac_is_an_error():
    design = services_design()
    broken = with_lease(design, LEASE, change(LEASE, mac="58:9C:FC:00:00:01", address="10.1.1.61"))
    assert_finding(
        broken, "JN606", "error", "jailhost/dhcp/services/static_leases/0", "jailhost/dhcp/services/static_leases/1"
    )
    assert_no_finding(design, "JN606")


def test_duplicate_reservation_address_is_an_error():
    broken = with_lease(services_design(), LEASE, change(LEASE, mac="58:9c:fc:00:00:02"))
    finding = assert_finding(
        broken, "JN606", "error", "jailhost/dhcp/services/static_leases/0", "jailhost/dhcp/services/static_leases/1"
    )
    assert "reserves 10.1.1.60 for 2 MACs" in finding.message


def test_reservation_of_another_nics_static_address_is_an_error():
    design = services_design()
    broken = with_lease(design, change(LEASE, address="10.1.1.2"))
    assert_finding(
        broken, "JN607", "error", "jailhost/dhcp/services/static_leases/0", "jailhost/jails/vnetcage/nics/vnet0"
    )
    assert_no_finding(design, "JN607")


def test_reservation_matching_the_vms_own_static_address_is_fine():
    design = with_vm_nic(services_design(), "jailhost", "guest", dhcp=False, address="10.1.1.60/24")
    assert_no_finding(design, "JN607")


def test_two_dhcp_services_on_one_switch_is_an_error():
    design = services_design()
    service = host(design, "jailhost").dhcp[0]
    broken = with_host(
        design,
        "jailhost",
        dhcp=(service, change(service, range_start="10.1.1.100", range_end="10.1.1.110", static_leases=())),
    )
    assert_finding(broken, "JN608", "error", "jailhost/dhcp/services", "jailhost/dhcp/services")
    assert_no_finding(design, "JN608")


def test_dhcp_servers_on_two_hosts_of_one_segment_is_a_warning():
    design = vxlan_design()
    switch_a = host(design, "jailhost-a").switches
    switch_b = host(design, "jailhost-b").switches
    dhcp_a = s.DhcpService(switch="switch111", range_start="10.0.111.100", range_end="10.0.111.110")
    dhcp_b = s.DhcpService(switch="switch111", range_start="10.0.111.120", range_end="10.0.111.130")
    one = with_host(
        design,
        "jailhost-a",
        tools=("iocage", "vm-bhyve", "dnsmasq"),
        switches=(change(switch_a[0], address="10.0.111.12/24"), switch_a[1]),
        dhcp=(dhcp_a,),
    )
    two = with_host(
        one,
        "jailhost-b",
        tools=("iocage", "vm-bhyve", "dnsmasq"),
        switches=(change(switch_b[0], address="10.0.111.22/24"), switch_b[1]),
        dhcp=(dhcp_b,),
    )
    finding = assert_finding(two, "JN609", "warning", "jailhost-a/dhcp/switch111", "jailhost-b/dhcp/switch111")
    assert "VXLAN segment vxlan111" in finding.message
    assert_no_finding(one, "JN609")


def test_dhcp_client_on_a_switch_nobody_serves_is_a_warning():
    design = services_design()
    broken = with_host(design, "jailhost", dhcp=())
    assert_finding(broken, "JN610", "warning", "jailhost/vms/guest/nics/0")
    assert_no_finding(design, "JN610")


def test_dhcp_client_on_a_switch_with_a_lan_port_is_fine():
    design = services_design()
    jailhost = host(design, "jailhost")
    interfaces = (*jailhost.interfaces, s.Interface(name="em1"))
    switch = change(jailhost.switches[0], ports=(s.SwitchPort("em1"),))
    uplinked = with_host(design, "jailhost", dhcp=(), interfaces=interfaces, switches=(switch,))
    assert_no_finding(uplinked, "JN610")


def test_malformed_mac_is_an_error():
    design = services_design()
    broken = with_vm_nic(design, "jailhost", "guest", mac="58:9c:fc:00:01")
    assert_finding(broken, "JN611", "error", "jailhost/vms/guest/nics/0")
    assert_no_finding(design, "JN611")


def test_multicast_mac_is_a_warning():
    design = services_design()
    broken = with_lease(design, change(LEASE, mac="11:22:33:44:55:66"))  # the article's dnsmasq example
    assert_finding(broken, "JN612", "warning", "jailhost/dhcp/services/static_leases/0")
    assert_no_finding(design, "JN612")


def test_same_mac_on_two_nics_of_one_network_is_an_error():
    design = services_design()
    broken = with_nic(design, "jailhost", "vnetcage", mac="58:9C:FC:00:00:01")
    assert_finding(broken, "JN613", "error", "jailhost/jails/vnetcage/nics/vnet0", "jailhost/vms/guest/nics/0")
    assert_no_finding(design, "JN613")


def test_nat_source_outside_every_design_network_is_a_warning():
    design = services_design()
    nat = host(design, "jailhost").nat
    broken = with_host(design, "jailhost", nat=replace_item(nat, 1, source="10.77.0.0/16"))
    finding = assert_finding(broken, "JN620", "warning", "jailhost/nat/1")
    assert "10.77.0.0/16" in finding.message
    assert_no_finding(design, "JN620")


def test_nat_source_covering_design_networks_is_fine():
    design = services_design()
    nat = host(design, "jailhost").nat
    wide = with_host(design, "jailhost", nat=replace_item(nat, 1, source="10.0.0.0/8"))
    assert_no_finding(wide, "JN620")


def test_pf_nat_on_an_ipfw_host_is_a_warning():
    design = vxlan_design()
    broken = with_host(design, "gateway", nat=(s.OutboundNat(interface="em0", source="10.0.0.0/8"),))
    assert_finding(broken, "JN621", "warning", "gateway/nat/0", "gateway/firewall")
    assert_no_finding(design, "JN621")


def test_two_natd_rules_on_a_host_is_an_error():
    design = vxlan_design()
    nat = host(design, "gateway").nat
    broken = with_host(design, "gateway", nat=(*nat, s.OutboundNat(interface="em1", engine="natd")))
    assert_finding(broken, "JN622", "error", "gateway/nat/0", "gateway/nat/1")
    assert_no_finding(design, "JN622")


def test_host_routing_for_its_guests_without_gateway_enable_is_a_warning():
    design = services_design()
    broken = with_host(design, "jailhost", gateway_enable=False)
    finding = assert_finding(broken, "JN623", "warning", "jailhost", "jailhost/jails/vnetcage")
    assert "default router of vnetcage" in finding.message
    assert_no_finding(design, "JN623")


def test_redirect_to_a_vm_without_gateway_enable_is_a_warning():
    design = with_host(services_design(), "jailhost", gateway_enable=False)
    jailhost = host(design, "jailhost")
    redirect = s.PortRedirect(interface="em0", protocol="tcp", external_port=2222, target_port=22, target_vm="guest")
    broken = with_host(design, "jailhost", redirects=(*jailhost.redirects, redirect))
    found = [f for f in codes(broken, "JN623") if "redirects" in f.message]
    assert [ref.path for ref in found[0].objects] == ["jailhost", "jailhost/redirects/1"]


def test_redirect_without_target_is_an_error():
    design = services_design()
    redirects = host(design, "jailhost").redirects
    broken = with_host(design, "jailhost", redirects=replace_item(redirects, 0, target_jail=None))
    finding = assert_finding(broken, "JN630", "error", "jailhost/redirects/0")
    assert "has no target" in finding.message
    assert_no_finding(design, "JN630")


def test_redirect_with_two_targets_is_an_error():
    redirects = host(services_design(), "jailhost").redirects
    broken = with_host(services_design(), "jailhost", redirects=replace_item(redirects, 0, target_vm="guest"))
    assert "2 targets" in assert_finding(broken, "JN630", "error", "jailhost/redirects/0").message


def test_redirect_to_a_missing_jail_is_an_error():
    redirects = host(services_design(), "jailhost").redirects
    broken = with_host(services_design(), "jailhost", redirects=replace_item(redirects, 0, target_jail="wwwcage"))
    assert (
        "wwwcage, which is not on jailhost" in assert_finding(broken, "JN630", "error", "jailhost/redirects/0").message
    )


def test_redirect_to_a_jail_without_address_is_an_error():
    design = with_jail(services_design(), "jailhost", "locage", addresses=())
    finding = assert_finding(design, "JN630", "error", "jailhost/redirects/0")
    assert "no static address" in finding.message


def test_redirect_to_a_vm_with_a_dhcp_reservation_is_fine():
    design = services_design()
    redirect = s.PortRedirect(interface="em0", protocol="tcp", external_port=2222, target_port=22, target_vm="guest")
    reserved = with_host(design, "jailhost", redirects=(*host(design, "jailhost").redirects, redirect))
    assert_no_finding(reserved, "JN630")


def test_same_port_redirected_twice_on_an_interface_is_an_error():
    design = services_design()
    redirects = host(design, "jailhost").redirects
    twice = (*redirects, change(redirects[0], target_jail=None, target_address="172.31.255.17"))
    broken = with_host(design, "jailhost", redirects=twice)
    assert_finding(broken, "JN631", "error", "jailhost/redirects/0", "jailhost/redirects/1")
    assert_no_finding(design, "JN631")
    udp = with_host(design, "jailhost", redirects=(*redirects, change(redirects[0], protocol="udp")))
    assert_no_finding(udp, "JN631")


def test_port_out_of_range_is_an_error():
    design = services_design()
    redirects = host(design, "jailhost").redirects
    broken = with_host(design, "jailhost", redirects=replace_item(redirects, 0, target_port=0))
    assert_finding(broken, "JN632", "error", "jailhost/redirects/0")
    assert_no_finding(design, "JN632")


def test_firewall_rule_with_port_but_any_protocol_is_an_error():
    design = services_design()
    firewall = host(design, "jailhost").firewall
    assert firewall is not None
    broken = with_host(
        design, "jailhost", firewall=change(firewall, rules=replace_item(firewall.rules, 0, protocol="any"))
    )
    assert_finding(broken, "JN640", "error", "jailhost/firewall/rules/0")
    assert_no_finding(design, "JN640")


def test_default_block_without_ssh_pass_is_a_warning():
    design = services_design()
    firewall = host(design, "jailhost").firewall
    assert firewall is not None
    broken = with_host(design, "jailhost", firewall=change(firewall, rules=firewall.rules[1:]))
    assert_finding(broken, "JN641", "warning", "jailhost/firewall")
    assert_no_finding(design, "JN641")


def test_closed_ipfw_is_a_lockout_warning():
    design = vxlan_design()
    firewall = host(design, "gateway").firewall
    broken = with_host(design, "gateway", firewall=change(firewall, ipfw_type="closed"))
    assert_finding(broken, "JN641", "warning", "gateway/firewall")


def test_gateway_without_gateway_enable_is_a_warning():
    design = vxlan_design()
    broken = with_host(design, "gateway", gateway_enable=False)
    assert_finding(broken, "JN624", "warning", "gateway")
    assert_no_finding(design, "JN624")


def test_nat_on_an_interface_without_address_is_a_warning():
    design = vxlan_design()
    interfaces = replace_item(host(design, "gateway").interfaces, 0, address=None)
    broken = with_host(design, "gateway", interfaces=interfaces, default_router=None)
    finding = assert_finding(broken, "JN625", "warning", "gateway/nat/0")
    assert "em0 has no address" in finding.message
    on_dhcp = with_host(broken, "gateway", interfaces=replace_item(interfaces, 0, dhcp=True))
    assert_no_finding(on_dhcp, "JN625")
    assert_no_finding(design, "JN625")
