"""JN5xx: plain and VNET jails, NICs, devfs for pf inside a jail, iocage and pot limits."""

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
    with_jail,
    with_nic,
    with_vm_nic,
)


def test_plain_jail_with_default_router_and_firewall_is_an_error():
    design = vxlan_design()
    broken = with_jail(
        design, "jailhost-b", "plainjail-b", default_router="10.0.111.1", firewall=s.FirewallPolicy(engine="ipfw")
    )
    finding = assert_finding(broken, "JN501", "error", "jailhost-b/jails/plainjail-b")
    assert "default router 10.0.111.1, a firewall" in finding.message
    assert_no_finding(design, "JN501")


def test_plain_jail_with_dhcp_nic_is_an_error():
    broken = with_jail(
        vxlan_design(), "jailhost-b", "plainjail-b", nics=(s.JailNic(name="vnet0", switch="switch111", dhcp=True),)
    )
    finding = assert_finding(broken, "JN501", "error", "jailhost-b/jails/plainjail-b")
    assert "NICs with DHCP" in finding.message


def test_vnet_jail_without_nics_is_a_warning():
    design = vxlan_design()
    broken = with_jail(design, "jailhost-a", "vnetjail-a", nics=(), default_router=None)
    assert_finding(broken, "JN502", "warning", "jailhost-a/jails/vnetjail-a")
    assert_no_finding(design, "JN502")


def test_vnet_jail_with_host_aliases_is_an_error():
    design = vxlan_design()
    broken = with_jail(
        design, "jailhost-a", "vnetjail-a", addresses=(s.JailAddress(interface="igb0", address="192.168.0.50"),)
    )
    finding = assert_finding(broken, "JN503", "error", "jailhost-a/jails/vnetjail-a")
    assert "192.168.0.50" in finding.message
    assert_no_finding(design, "JN503")


def test_vnet_jail_that_inherits_is_an_error():
    broken = with_jail(vxlan_design(), "jailhost-a", "vnetjail-a", inherit=True)
    assert_finding(broken, "JN503", "error", "jailhost-a/jails/vnetjail-a")


def test_plain_jail_with_inherit_and_addresses_is_an_error():
    design = vxlan_design()
    broken = with_jail(design, "jailhost-b", "plainjail-b", inherit=True)
    assert_finding(broken, "JN504", "error", "jailhost-b/jails/plainjail-b")
    assert_no_finding(design, "JN504")


def test_plain_jail_without_network_is_an_info():
    design = services_design()
    broken = with_jail(design, "jailhost", "simplecage", inherit=False)
    assert_finding(broken, "JN505", "info", "jailhost/jails/simplecage")
    assert_no_finding(design, "JN505")


def test_nic_with_address_and_dhcp_is_an_error():
    design = services_design()
    broken = with_vm_nic(design, "jailhost", "guest", address="10.1.1.60/24")
    assert_finding(broken, "JN506", "error", "jailhost/vms/guest/nics/0")
    broken_jail = with_nic(design, "jailhost", "vnetcage", dhcp=True)
    assert_finding(broken_jail, "JN506", "error", "jailhost/jails/vnetcage/nics/vnet0")
    assert_no_finding(design, "JN506")


def test_nic_without_address_or_dhcp_is_a_warning():
    design = services_design()
    broken = with_nic(design, "jailhost", "vnetcage", address=None)
    assert_finding(broken, "JN507", "warning", "jailhost/jails/vnetcage/nics/vnet0")
    assert_no_finding(design, "JN507")


def test_vm_with_dhcp_reservation_needs_no_static_address():
    reserved = with_vm_nic(services_design(), "jailhost", "guest", dhcp=False)
    assert_no_finding(reserved, "JN507")
    unreserved = with_vm_nic(reserved, "jailhost", "guest", mac="58:9c:fc:00:00:02")
    assert_finding(unreserved, "JN507", "warning", "jailhost/vms/guest/nics/0")


def test_pf_in_vnet_jail_without_devfs_ruleset_is_a_warning():
    design = services_design()
    broken = with_jail(design, "jailhost", "vnetcage", devfs_ruleset=None)
    finding = assert_finding(broken, "JN508", "warning", "jailhost/jails/vnetcage", "jailhost/jails/vnetcage/firewall")
    assert "/dev/pf" in finding.message
    assert_no_finding(design, "JN508")


def test_pf_in_vnet_jail_with_default_jail_ruleset_is_a_warning():
    broken = with_jail(services_design(), "jailhost", "vnetcage", devfs_ruleset=4)
    assert_finding(broken, "JN508", "warning", "jailhost/jails/vnetcage", "jailhost/jails/vnetcage/firewall")


def test_ipfw_in_vnet_jail_needs_no_devfs_ruleset():
    design = services_design()
    jail = next(j for j in host(design, "jailhost").jails if j.name == "vnetcage")
    ipfw = with_jail(design, "jailhost", "vnetcage", devfs_ruleset=None, firewall=change(jail.firewall, engine="ipfw"))
    assert_no_finding(ipfw, "JN508")


def test_iocage_nic_not_named_vnet_n_is_an_error():
    design = services_design()
    broken = with_nic(design, "jailhost", "vnetcage", name="eth0")
    assert_finding(broken, "JN509", "error", "jailhost/jails/vnetcage/nics/eth0")
    assert_no_finding(design, "JN509")


def test_iocage_jail_with_five_nics_is_an_error():
    design = services_design()
    nics = tuple(s.JailNic(name=f"vnet{n}", switch="services", address=f"10.1.1.{30 + n}/24") for n in range(5))
    broken = with_jail(design, "jailhost", "vnetcage", nics=nics)
    found = [f for f in _codes(broken) if f.code == "JN509"]
    assert [ref.path for f in found for ref in f.objects] == [
        "jailhost/jails/vnetcage",
        "jailhost/jails/vnetcage/nics/vnet4",
    ]


def _codes(design):
    from topology.validation import validate

    return validate(design).findings


def test_pot_vnet_jail_on_a_plain_bridge_is_an_error():
    design = services_design()
    pothost = host(design, "pothost")
    switches = (*pothost.switches, s.Switch(name="bridge1", address="10.3.0.1/24"))
    broken = with_nic(
        with_host(design, "pothost", switches=switches), "pothost", "vnetpot1", switch="bridge1", address="10.3.0.2/24"
    )
    finding = assert_finding(broken, "JN510", "error", "pothost/jails/vnetpot1/nics/vnet0")
    assert "pot-bridge" in finding.message
    assert_no_finding(design, "JN510")


def test_pot_network_changes_need_the_pot_destroyed_before_a_re_run():
    from topology import snapshot as s

    from .factories import assert_finding

    host = s.Host(name="h", jails=(s.Jail(name="p", manager="pot", addresses=(s.JailAddress(None, "10.0.0.3"),)),))
    finding = assert_finding(s.DesignSnapshot(name="v", hosts=(host,)), "JN511", "info", "h/jails/p")
    assert "pot destroy -p p" in finding.message


def test_iocage_jail_and_vm_cannot_join_pots_bridge():
    from topology import snapshot as s

    from .factories import assert_no_finding, findings

    bridge = s.Switch(name="potbridge", kind="pot-bridge", address="10.192.0.1/10")
    host = s.Host(
        name="h",
        switches=(bridge,),
        jails=(
            s.Jail(name="p", type="vnet", manager="pot", nics=(s.JailNic(name="vnet0", switch="potbridge"),)),
            s.Jail(name="i", type="vnet", nics=(s.JailNic(name="vnet0", switch="potbridge"),)),
        ),
        vms=(s.VirtualMachine(name="v", nics=(s.VmNic(switch="potbridge"),)),),
    )
    design = s.DesignSnapshot(name="v", hosts=(host,))
    assert [f.objects[0].path for f in findings(design, "JN512")] == ["h/jails/i", "h/vms/v"]
    only_pots = s.DesignSnapshot(name="v", hosts=(s.Host(name="h", switches=(bridge,), jails=host.jails[:1]),))
    assert_no_finding(only_pots, "JN512")
