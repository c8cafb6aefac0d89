"""Golden tests: each scenario of the article, loaded from examples/, renders the article's configuration.

Every assertion is an exact line of the operator script or of a managed file, so a changed value,
a missing step or a wrong keyword fails the test.
"""

from __future__ import annotations

import pytest

from .helpers import EXAMPLES_DIR, assert_in_order, assert_lines, assert_no_line, file_content, rendered

RC = "/etc/rc.conf.local"


def test_s01_plain_jails_inherit_the_host_network():
    config = rendered("s01-plain-inherit")["jailhost"]
    assert_in_order(
        config.script,
        "pkg install -y py36-iocage pot",
        "iocage activate zroot",
        "iocage create -r 12.1-RELEASE -n simplecage ip4=inherit",
        "iocage start simplecage",
    )
    assert_in_order(config.script, "pot init", "pot create-base -r 12.1", "pot create -p simplepot -b 12.1")
    assert_no_line(config.script, "-N alias", "-N public-bridge", "ip4_addr")
    assert_lines(file_content(config, "/usr/local/etc/pot/pot.conf"), "POT_EXTIF=em0")


def test_s02_pot_jail_on_a_dedicated_alias_address():
    config = rendered("s02-plain-alias")["jailhost"]
    assert_lines(
        config.script,
        'sysrc -f /etc/rc.conf.local ifconfig_em0="192.168.0.2/24"',
        'sysrc -f /etc/rc.conf.local defaultrouter="192.168.0.1"',
        "pot create -p aliaspot -b 12.1 -N alias -i 192.168.0.3",
        "pot start aliaspot",
    )
    assert_lines(file_content(config, RC), 'ifconfig_em0="192.168.0.2/24"', 'defaultrouter="192.168.0.1"')
    # the alias goes on POT_EXTIF when the pot starts; it is not a permanent host alias
    assert_no_line(file_content(config, RC), "192.168.0.3")
    assert_lines(file_content(config, "/usr/local/etc/pot/pot.conf"), "POT_EXTIF=em0")


def test_s03_plain_jail_on_a_vlan_address():
    config = rendered("s03-plain-vlan")["jailhost"]
    assert_in_order(
        config.script,
        "sysrc -f /etc/rc.conf.local 'vlans_em0=${vlans_em0} 101'",
        'sysrc -f /etc/rc.conf.local ifconfig_em0_101="10.1.1.1/24"',
        "ifconfig em0.101 >/dev/null 2>&1 || ifconfig em0.101 create",
        'iocage create -r 12.1-RELEASE -n vlancage ip4_addr="em0.101|10.1.1.2"',
    )
    # without vlans_em0 the article's em0.101 would not come back after a reboot
    assert_lines(file_content(config, RC), 'vlans_em0="${vlans_em0} 101"', 'ifconfig_em0_101="10.1.1.1/24"')


S4_PF_CONF = """\
ext_if="em0"
locage_jail="172.31.255.17"

# don't filter on the local loop
set skip on lo0

# outbound NAT on the external interface's address
nat on $ext_if from $locage_jail -> $ext_if:0

# redirect inbound traffic to jails and VMs
rdr on $ext_if proto tcp to $ext_if:0 port www -> $locage_jail

# prevent spoofing
antispoof for lo0
antispoof for lo1
antispoof for $ext_if

# block all by default (best practice)
block

# allow any traffic from jail that doesn't go to the jailhost
# (includes traffic inside of the jail to itself)
pass from $locage_jail to !$ext_if:0

# allow access to web server
pass proto tcp to $locage_jail port www

# allow access to manage host
pass in on $ext_if proto tcp to $ext_if:0 port ssh

# allow outbound traffic
pass out on $ext_if
"""


def test_s04_plain_jail_on_loopback_with_pf_nat_and_redirect():
    config = rendered("s04-plain-loopback")["jailhost"]
    assert_in_order(
        config.script,
        "sysrc -f /etc/rc.conf.local 'cloned_interfaces=${cloned_interfaces} lo1'",
        'sysrc -f /etc/rc.conf.local ifconfig_lo1="172.31.255.17/32"',
        "ifconfig lo1 >/dev/null 2>&1 || ifconfig lo1 create",
        "cat > /etc/pf.conf <<'EOF'",
        'sysrc -f /etc/rc.conf.local pf_enable="YES"',
        "if service pf status >/dev/null 2>&1; then service pf reload; else service pf start; fi",
        'iocage create -r 12.1-RELEASE -n locage ip4_addr="lo1|172.31.255.17/32"',
    )
    # the whole file, in pf.conf(5)'s required order (options, translation, filtering)
    assert file_content(config, "/etc/pf.conf") == S4_PF_CONF
    assert_lines(
        file_content(config, RC),
        'cloned_interfaces="${cloned_interfaces} lo1"',
        'ifconfig_lo1="172.31.255.17/32"',
        'pf_enable="YES"',
    )


def test_s05_pot_vnet_jails_on_the_public_bridge_with_exported_port():
    config = rendered("s05-vnet-pot")["jailhost"]
    pf = file_content(config, "/etc/pf.conf")
    # pot loads the NAT and redirect rules into its anchors itself; pf.conf only has the anchors
    assert [line for line in pf.splitlines() if line and not line.startswith("#")] == [
        "set skip on lo0",
        "nat-anchor pot-nat",
        'rdr-anchor "pot-rdr/*"',
    ]
    assert_lines(pf, "#   pot-rdr/vnetpot1: rdr pass on em0 proto tcp from any to (em0) port 80 -> 10.192.0.3 port 80")
    assert_lines(
        file_content(config, "/usr/local/etc/pot/pot.conf"),
        "POT_EXTIF=em0",
        "POT_NETWORK=10.192.0.0/10",
        "POT_NETMASK=255.192.0.0",
        "POT_GATEWAY=10.192.0.1",
    )
    assert_in_order(
        config.script,
        'sysrc -f /etc/rc.conf.local pf_enable="YES"',
        "pot init",
        "pot vnet-start",
        "pot create -p vnetpot1 -b 12.1 -N public-bridge -i 10.192.0.3",
        "pot export-ports -p vnetpot1 -e 80:80",
        "pot start vnetpot1",
        "pot create -p vnetpot2 -b 12.1 -N public-bridge -i 10.192.0.4",
        "pot start vnetpot2",
    )
    assert config.script.count("pot export-ports") == 1


def test_s06_iocage_vnet_jail_on_a_vm_bhyve_standard_switch_with_nat():
    config = rendered("s06-vnet-iocage")["jailhost"]
    assert_in_order(
        config.script,
        'sysrc -f /etc/rc.conf.local vm_enable="YES"',
        'sysrc -f /etc/rc.conf.local vm_dir="zfs:zroot/vms"',
        "zfs create -p zroot/vms",
        "vm init",
        "vm switch create -a 10.1.1.1/24 services",
        'iocage create -r 12.1-RELEASE -n vnetcage interfaces="vnet0:vm-services" ip4_addr="vnet0|10.1.1.2/24" '
        'defaultrouter="10.1.1.1" vnet_default_interface="vm-services" vnet=on',
        "iocage start vnetcage",
    )
    assert_lines(
        file_content(config, "/etc/pf.conf"), "set skip on lo0", "nat on $ext_if from 10.1.1.0/24 -> $ext_if:0"
    )
    # the jail's traffic is routed by the host: forwarding must be on (the article relied on pot having set it)
    assert_lines(config.script, 'sysrc -f /etc/rc.conf.local gateway_enable="YES"', "sysctl net.inet.ip.forwarding=1")
    assert_lines(file_content(config, RC), 'gateway_enable="YES"', 'pf_enable="YES"', 'vm_enable="YES"')
    assert_lines(
        file_content(config, "/zroot/vms/.config/system.conf"),
        'switch_list="services"',
        'type_services="standard"',
        'addr_services="10.1.1.1/24"',
    )


def test_s07_vm_with_dhcp_from_dnsmasq_and_a_static_lease():
    config = rendered("s07-vnet-vm-dhcp")["jailhost"]
    assert file_content(config, "/usr/local/etc/dnsmasq.conf").splitlines() == [
        "domain-needed",
        "listen-address=10.1.1.1",
        "interface=vm-services",
        "bind-dynamic",
        "local-service",
        "dhcp-authoritative",
        "dhcp-range=10.1.1.10,10.1.1.20,12h",
        "dhcp-host=58:9c:fc:0a:01:32,10.1.1.50,guest",
    ]
    assert_in_order(
        config.script,
        'sysrc -f /etc/rc.conf.local dnsmasq_enable="YES"',
        "service dnsmasq start",
        "[ -e /zroot/vms/.iso/FreeBSD-12.1-RELEASE-amd64-bootonly.iso ] || vm iso "
        "https://download.freebsd.org/ftp/releases/ISO-IMAGES/12.1/FreeBSD-12.1-RELEASE-amd64-bootonly.iso",
        "[ -e /zroot/vms/guest/guest.conf ] || vm create -t guest -s 20G guest",
        'sysrc -f /zroot/vms/guest/guest.conf network0_switch="services"',
        'sysrc -f /zroot/vms/guest/guest.conf network0_mac="58:9c:fc:0a:01:32"',
        "vm install guest FreeBSD-12.1-RELEASE-amd64-bootonly.iso",
    )
    # the guest's one NIC is vtnet0 (the template has no network, unlike the article's default template)
    assert_lines(config.script, '#   ifconfig_vtnet0="DHCP"')
    template = file_content(config, "/zroot/vms/.templates/guest.conf")
    assert_lines(template, 'loader="bhyveload"', 'cpu="1"', 'memory="512M"')
    assert_no_line(template, "network")
    assert_lines(file_content(config, RC), 'dnsmasq_enable="YES"')


def test_s08_private_switch_members_for_vm_and_iocage_jail():
    config = rendered("s08-private-members")["jailhost"]
    assert_in_order(config.script, "vm switch create -a 10.1.1.1/24 services", "vm switch private services on")
    assert_lines(
        config.script,
        'iocage create -r 12.1-RELEASE -n vnetcage interfaces="vnet0:vm-services" ip4_addr="vnet0|10.1.1.2/24" '
        'defaultrouter="10.1.1.1" vnet_default_interface="vm-services" '
        'exec_poststart="/usr/local/sbin/set_ioc_vnet_private.sh vnetcage" vnet=on',
        "chmod 0755 /usr/local/sbin/set_ioc_vnet_private.sh",
    )
    hook = config.file("/usr/local/sbin/set_ioc_vnet_private.sh")
    assert hook is not None and hook.mode == "0755"
    # the article's slip fixed: the pattern is quoted on its own, the redirection is the shell's
    assert_lines(hook.content, '    echo "$CONFIG" | grep "member: ${VNETPREFIX}\\.${JID} " >/dev/null')
    assert_no_line(hook.content, '>/dev/null"')
    assert_lines(file_content(config, "/zroot/vms/.config/system.conf"), 'private_services="yes"')


def test_s09_pf_inside_a_vnet_jail_with_devfs_ruleset_501():
    config = rendered("s09-pf-in-vnet-jail")["jailhost"]
    assert file_content(config, "/etc/devfs.rules").splitlines() == [
        "[vnet_jail_pf=501]",
        "add include $devfsrules_hide_all",
        "add include $devfsrules_unhide_basic",
        "add include $devfsrules_unhide_login",
        "add include $devfsrules_jail",
        "add path pf unhide",
        "add path pflog unhide",
    ]
    jail_pf = file_content(config, "/zroot/iocage/jails/vnetcage/root/etc/pf.conf")
    assert [line for line in jail_pf.splitlines() if line and not line.startswith("#")] == [
        "set skip on lo0",
        "block quick to 1.1.1.1",
        "pass",
    ]
    assert_lines(file_content(config, "/zroot/iocage/jails/vnetcage/root/etc/rc.conf.local"), 'pf_enable="YES"')
    assert_in_order(
        config.script,
        "service devfs restart",
        'iocage create -r 12.1-RELEASE -n vnetcage interfaces="vnet0:vm-services" ip4_addr="vnet0|10.1.1.2/24" '
        'defaultrouter="10.1.1.1" vnet_default_interface="vm-services" devfs_ruleset=501 vnet=on',
        "cat > /zroot/iocage/jails/vnetcage/root/etc/pf.conf <<'EOF'",
        "iocage start vnetcage",
    )


def test_s10_vxlan_multicast_gateway():
    config = rendered("s10-vxlan-multicast")["gateway"]
    assert_lines(
        config.script,
        'sysrc -f /etc/rc.conf.local firewall_enable="YES"',
        'sysrc -f /etc/rc.conf.local firewall_type="open"',
        'sysrc -f /etc/rc.conf.local natd_enable="YES"',
        'sysrc -f /etc/rc.conf.local natd_interface="em0"',
        'sysrc -f /etc/rc.conf.local gateway_enable="YES"',
        "sysrc -f /etc/rc.conf.local 'cloned_interfaces=${cloned_interfaces} vxlan111 vxlan222'",
        'sysrc -f /etc/rc.conf.local ifconfig_vxlan111="inet 10.0.111.1/24 mtu 1450"',
        'sysrc -f /etc/rc.conf.local create_args_vxlan111="vxlanid 111 vxlanlocal 192.168.0.1 vxlandev em1 vxlangroup 239.0.0.111"',  # noqa: E501
        'sysrc -f /etc/rc.conf.local ifconfig_vxlan222="inet 10.0.222.1/24 mtu 1450"',
        'sysrc -f /etc/rc.conf.local create_args_vxlan222="vxlanid 222 vxlanlocal 192.168.0.1 vxlandev em1 vxlangroup 239.0.0.222"',  # noqa: E501
        "sysrc -f /etc/rc.conf.local 'static_routes=${static_routes} vxlan111 vxlan222'",
        'sysrc -f /etc/rc.conf.local route_vxlan111="239.0.0.111/32 -interface em1"',
        'sysrc -f /etc/rc.conf.local route_vxlan222="239.0.0.222/32 -interface em1"',
        'sysrc -f /etc/rc.conf.local ifconfig_em0="203.0.113.2/24"',
        'sysrc -f /etc/rc.conf.local defaultrouter="203.0.113.1"',
    )
    assert config.file("/etc/pf.conf") is None  # ipfw + natd here, not pf
    assert_lines(
        file_content(config, RC),
        'firewall_enable="YES"',
        'natd_enable="YES"',
        'cloned_interfaces="${cloned_interfaces} vxlan111 vxlan222"',
        'static_routes="${static_routes} vxlan111 vxlan222"',
    )


def test_s10_vxlan_multicast_jailhost_a():
    config = rendered("s10-vxlan-multicast")["jailhost-a"]
    assert_in_order(
        config.script,
        "sysrc -f /etc/rc.conf.local 'cloned_interfaces=${cloned_interfaces} vxlan111 vxlan222'",
        'sysrc -f /etc/rc.conf.local ifconfig_vxlan111="inet 10.0.111.10/24 mtu 1450"',
        'sysrc -f /etc/rc.conf.local create_args_vxlan111="vxlanid 111 vxlanlocal 192.168.0.10 vxlandev igb0 vxlangroup 239.0.0.111"',  # noqa: E501
        'sysrc -f /etc/rc.conf.local route_vxlan111="239.0.0.111/32 -interface igb0"',
        "sysrc -f /etc/rc.conf.local 'cloned_interfaces=${cloned_interfaces} vxlan111 vxlan222 bridge0 bridge1'",
        'sysrc -f /etc/rc.conf.local ifconfig_bridge0_name="switch111"',
        'sysrc -f /etc/rc.conf.local ifconfig_switch111="inet 10.0.111.12/32 addm vxlan111"',
        'sysrc -f /etc/rc.conf.local ifconfig_bridge1_name="switch222"',
        'sysrc -f /etc/rc.conf.local ifconfig_switch222="inet 10.0.222.12/32 addm vxlan222"',
        "vm switch create -t manual -b switch111 switch111",
        "[ -e /zroot/vms/guest-a/guest-a.conf ] || vm create -t guest-a -s 20G guest-a",
        'sysrc -f /zroot/vms/guest-a/guest-a.conf network0_switch="switch111"',
        "sysrc -f /etc/rc.conf.local 'vm_list=${vm_list} guest-a'",
        "mount -t fdescfs | grep -q ' on /dev/fd ' || mount -t fdescfs null /dev/fd",
        'sysrc -f /etc/rc.conf.local iocage_enable="YES"',
        'iocage create -r 12.1-RELEASE -n vnetjail-a interfaces="vnet0:switch222" ip4_addr="vnet0|10.0.222.13/24" '
        'vnet0_mtu=1450 defaultrouter="10.0.222.1" vnet_default_interface="switch222" boot=1 vnet=on',
    )
    assert_lines(config.script, '#   ifconfig_vtnet0="inet 10.0.111.13/24 mtu 1450"', '#   defaultrouter="10.0.111.1"')
    assert_no_line(config.script, "vm switch create -t manual -b switch222")  # no VM on switch222 here
    assert_lines(
        file_content(config, RC),
        'cloned_interfaces="${cloned_interfaces} vxlan111 vxlan222 bridge0 bridge1"',
        'static_routes="${static_routes} vxlan111 vxlan222"',
        'vm_list="${vm_list} guest-a"',
        'iocage_enable="YES"',
    )


def test_s10_vxlan_multicast_jailhost_b():
    config = rendered("s10-vxlan-multicast")["jailhost-b"]
    assert_lines(
        config.script,
        'sysrc -f /etc/rc.conf.local create_args_vxlan111="vxlanid 111 vxlanlocal 192.168.0.20 vxlandev em0 vxlangroup 239.0.0.111"',  # noqa: E501
        'sysrc -f /etc/rc.conf.local route_vxlan222="239.0.0.222/32 -interface em0"',
        'sysrc -f /etc/rc.conf.local ifconfig_switch111="inet 10.0.111.22/32 addm vxlan111"',
        "vm switch create -t manual -b switch222 switch222",
        'sysrc -f /zroot/vms/guest-b/guest-b.conf network0_switch="switch222"',
        '#   ifconfig_vtnet0="inet 10.0.222.23/24 mtu 1450"',
        '#   defaultrouter="10.0.222.1"',
        'iocage create -r 12.1-RELEASE -n plainjail-b ip4_addr="vxlan111|10.0.111.21/32" allow_raw_sockets=1 boot=1',
        'iocage create -r 12.1-RELEASE -n vnetjail-b interfaces="vnet0:switch111" ip4_addr="vnet0|10.0.111.23/24" '
        'vnet0_mtu=1450 defaultrouter="10.0.111.1" vnet_default_interface="switch111" boot=1 vnet=on',
    )
    assert_no_line(config.script, "iocage start plainjail-b", "iocage start vnetjail-b")  # boot=1 starts them


def test_s11_vxlan_unicast_hub_gateway():
    config = rendered("s11-vxlan-unicast")["gateway"]
    assert_no_line(config.script, "vxlangroup", "vxlandev", "route_vx")
    assert_lines(
        config.script,
        "sysrc -f /etc/rc.conf.local 'cloned_interfaces=${cloned_interfaces} lo1 lo2'",
        'sysrc -f /etc/rc.conf.local ifconfig_lo1="192.168.255.10/32"',
        "sysrc -f /etc/rc.conf.local 'cloned_interfaces=${cloned_interfaces} lo1 lo2 vxlan0 vxlan1 vxlan2 vxlan3'",
        'sysrc -f /etc/rc.conf.local ifconfig_vxlan0_name="vx111a"',
        'sysrc -f /etc/rc.conf.local create_args_vxlan0="vxlanid 111 vxlanlocal 192.168.255.10 vxlanremote 192.168.0.10"',  # noqa: E501
        'sysrc -f /etc/rc.conf.local create_args_vxlan1="vxlanid 111 vxlanlocal 192.168.255.20 vxlanremote 192.168.0.20"',  # noqa: E501
        'sysrc -f /etc/rc.conf.local ifconfig_vx111a="mtu 1450 up"',
        'sysrc -f /etc/rc.conf.local ifconfig_vxlan3_name="vx222b"',
        'sysrc -f /etc/rc.conf.local ifconfig_switch111="inet 10.0.111.1/24 addm vx111a addm vx111b"',
        'sysrc -f /etc/rc.conf.local ifconfig_switch222="inet 10.0.222.1/24 addm vx222a addm vx222b"',
    )
    assert_in_order(
        config.script,
        # the kernel picks the unit in the live script (vxlan0 may be taken); rc.conf clones vxlan0 at boot
        "ifconfig vx111a >/dev/null 2>&1 || "
        "ifconfig vxlan create vxlanid 111 vxlanlocal 192.168.255.10 vxlanremote 192.168.0.10 name vx111a",
        "ifconfig vx111a mtu 1450 up",
    )
    assert_lines(
        file_content(config, RC),
        'cloned_interfaces="${cloned_interfaces} lo1 lo2 vxlan0 vxlan1 vxlan2 vxlan3 bridge0 bridge1"',
    )


def test_s11_vxlan_unicast_spokes():
    for host, underlay, local, hub in (
        ("jailhost-a", "igb0", "192.168.0.10", "192.168.255.10"),
        ("jailhost-b", "em0", "192.168.0.20", "192.168.255.20"),
    ):
        config = rendered("s11-vxlan-unicast")[host]
        assert_no_line(config.script, "vxlangroup", "vxlandev", f"-interface {underlay}")
        assert_lines(
            config.script,
            f'sysrc -f /etc/rc.conf.local create_args_vxlan111="vxlanid 111 vxlanlocal {local} vxlanremote {hub}"',
            f'sysrc -f /etc/rc.conf.local create_args_vxlan222="vxlanid 222 vxlanlocal {local} vxlanremote {hub}"',
            "sysrc -f /etc/rc.conf.local 'static_routes=${static_routes} vxlanhub'",
            'sysrc -f /etc/rc.conf.local route_vxlanhub="192.168.255.0/24 192.168.0.1"',
        )


@pytest.mark.parametrize("path", sorted(EXAMPLES_DIR.glob("s*.yaml")), ids=lambda p: p.stem)
def test_every_example_renders_every_host(path):
    configs = rendered(path.stem)
    assert configs and all(c.script.startswith("#!/bin/sh\n") for c in configs.values())
