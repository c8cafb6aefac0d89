"""Golden tests for designs off the article's path: each one would have caught a configuration that breaks
the network on a real host (issue 11), or a script that is not safe to run twice."""

from __future__ import annotations

from topology import snapshot as s
from topology.render.freebsd import render_host

from .helpers import assert_in_order, assert_lines, assert_no_line, file_content

RC = "/etc/rc.conf.local"


def _render(*hosts: s.Host, segments: tuple[s.VxlanSegment, ...] = (), host: str = "h"):
    return render_host(s.DesignSnapshot(name="off-path", hosts=hosts, vxlan_segments=segments), host)


def test_vlan_trunk_parent_without_address_is_brought_up():
    config = _render(
        s.Host(
            name="h",
            interfaces=(
                s.Interface(name="igb1"),
                s.Interface(name="igb1.30", kind="vlan", parent="igb1", vlan_tag=30),
                s.Interface(name="igb1.40", kind="vlan", parent="igb1", vlan_tag=40),
            ),
            switches=(s.Switch(name="vlan30", ports=(s.SwitchPort(interface="igb1.30"),)),),
        )
    )
    rc = file_content(config, RC)
    # rc(8) brings an interface up only for an address or DHCP; a parent left down drops every VLAN frame
    assert_lines(rc, 'vlans_igb1="${vlans_igb1} 30 40"', 'ifconfig_igb1="up"', 'ifconfig_igb1_30="up"')
    assert_in_order(config.script, "ifconfig igb1 up", "ifconfig igb1.30 >/dev/null 2>&1 || ifconfig igb1.30 create")


def test_vlan_parent_missing_from_the_design_is_still_brought_up():
    config = _render(s.Host(name="h", interfaces=(s.Interface(name="em1.5", kind="vlan", parent="em1", vlan_tag=5),)))
    assert_lines(file_content(config, RC), 'ifconfig_em1="up"')


def test_vlan_parent_with_dhcp_or_address_is_left_to_rc():
    config = _render(
        s.Host(
            name="h",
            interfaces=(
                s.Interface(name="em0", dhcp=True),
                s.Interface(name="em0.5", kind="vlan", parent="em0", vlan_tag=5, address="10.5.0.1/24"),
            ),
        )
    )
    assert_lines(file_content(config, RC), 'ifconfig_em0="DHCP"')
    assert_no_line(config.script, "ifconfig em0 up")


def test_bridges_in_the_live_script_let_the_kernel_pick_the_unit():
    config = _render(s.Host(name="h", switches=(s.Switch(name="lan", address="10.0.0.1/24"),)))
    # at boot rc.conf clones bridge0 before any jail manager runs; later, iocage, pot or vm-bhyve may hold it
    assert_lines(
        file_content(config, RC), 'cloned_interfaces="${cloned_interfaces} bridge0"', 'ifconfig_bridge0_name="lan"'
    )
    assert_lines(config.script, "ifconfig lan >/dev/null 2>&1 || ifconfig bridge create name lan")
    assert_no_line(config.script, "ifconfig bridge0 create")


def _freebsd15(release: str) -> s.Host:
    return s.Host(
        name="h",
        release=release,
        interfaces=(s.Interface(name="em0", address="192.168.0.2/24"), s.Interface(name="em1", address="10.9.0.2/24")),
        switches=(s.Switch(name="lan", address="10.9.0.1/24", ports=(s.SwitchPort(interface="em1"),)),),
    )


def test_freebsd_15_puts_a_bridge_members_address_on_the_bridge():
    config = _render(_freebsd15("15.0-RELEASE"))
    rc = file_content(config, RC)
    # if_bridge(4) on 15: an address on a member is refused (EINVAL) unless net.link.bridge.member_ifaddrs=1
    assert_lines(
        rc, 'ifconfig_em1="up"', 'ifconfig_lan="inet 10.9.0.1/24 addm em1"', 'ifconfig_lan_alias0="inet 10.9.0.2/24"'
    )
    assert_no_line(rc, 'ifconfig_em1="10.9.0.2/24"')
    assert_lines(config.script, "ifconfig lan inet 10.9.0.2/24 alias")


def test_freebsd_14_keeps_the_members_address():
    rc = file_content(_render(_freebsd15("14.1-RELEASE")), RC)
    assert_lines(rc, 'ifconfig_em1="10.9.0.2/24"')
    assert_no_line(rc, "alias0")


def test_iocage_package_comes_from_the_hosts_release_not_a_jails():
    host = s.Host(
        name="h",
        release="14.1-RELEASE",
        jails=(s.Jail(name="old", release="13.2-RELEASE", inherit=True),),
    )
    config = _render(host)
    # a 14.1 host's repository has py311-iocage; py39-iocage (13.x) is not there
    assert_lines(config.script, "pkg install -y py311-iocage", "iocage fetch -r 13.2-RELEASE")


def test_iocage_jail_is_updated_on_a_re_run():
    config = _render(s.Host(name="h", jails=(s.Jail(name="web", addresses=(s.JailAddress("em0", "10.0.0.5"),)),)))
    assert_in_order(
        config.script,
        "if [ ! -d /zroot/iocage/jails/web ]; then",
        'iocage create -r 15.1-RELEASE -n web ip4_addr="em0|10.0.0.5"',
        "else",
        'iocage set ip4_addr="em0|10.0.0.5" web',
        "fi",
    )


def test_pf_is_reloaded_not_restarted_when_it_runs():
    config = _render(
        s.Host(name="h", interfaces=(s.Interface(name="em0", address="192.168.0.2/24"),), firewall=s.FirewallPolicy())
    )
    # rc.d/pf's start runs pfctl -F all: every state, the administrator's SSH session too, would be flushed
    assert_lines(
        config.script, "if service pf status >/dev/null 2>&1; then service pf reload; else service pf start; fi"
    )
    assert_no_line(config.script, "service pf restart")


def _pot_host(**changes) -> s.Host:
    host = s.Host(
        name="h",
        interfaces=(s.Interface(name="em0", address="192.168.0.2/24"),),
        switches=(s.Switch(name="potbridge", kind="pot-bridge", address="10.192.0.1/10"),),
        jails=(
            s.Jail(
                name="web",
                type="vnet",
                manager="pot",
                devfs_ruleset=501,
                nics=(s.JailNic(name="vnet0", switch="potbridge", address="10.192.0.3/10"),),
                firewall=s.FirewallPolicy(default_block=True),
            ),
        ),
        redirects=(
            s.PortRedirect(interface="em0", protocol="tcp", external_port=8080, target_port=80, target_jail="web"),
            s.PortRedirect(interface="em0", protocol="udp", external_port=5353, target_port=53, target_jail="web"),
        ),
    )
    return s.Host(**{**{f: getattr(host, f) for f in host.__dataclass_fields__}, **changes})


def test_pot_exports_pot_port_as_host_port_in_one_call():
    config = _render(_pot_host())
    # export-ports.sh: "-e 80:30000 will export port 80 using port 30000"; each call replaces the pot's list
    assert_lines(config.script, "pot export-ports -p web -e 80:8080 -e udp:53:5353")
    assert config.script.count("pot export-ports") == 1


def test_pf_inside_a_pot_goes_to_its_own_etc_and_its_devfs_ruleset_is_set():
    config = _render(_pot_host())
    # m/ is an empty mountpoint until the pot starts; its /etc is the custom dataset's
    assert file_content(config, "/opt/pot/jails/web/custom/etc/pf.conf")
    assert_lines(file_content(config, "/opt/pot/jails/web/custom/etc/rc.conf.local"), 'pf_enable="YES"')
    assert not [f.path for f in config.files if f.path.startswith("/opt/pot/jails/web/m/")]
    assert_in_order(config.script, "pot set-attr -p web -A devfs_ruleset -V 501", "pot start web")


def test_private_pot_bridge_isolates_the_pots():
    bridge = s.Switch(name="potbridge", kind="pot-bridge", address="10.192.0.1/10", private=True)
    config = _render(_pot_host(switches=(bridge,)))
    assert_lines(file_content(config, "/usr/local/etc/pot/pot.conf"), "POT_ISOLATE_VNET_POTS=true")
    assert "POT_ISOLATE" not in file_content(_render(_pot_host()), "/usr/local/etc/pot/pot.conf")


def test_pot_is_created_once():
    config = _render(_pot_host())
    assert_in_order(
        config.script,
        "if [ ! -d /opt/pot/jails/web ]; then",
        "pot create -p web -b 15.1 -N public-bridge -i 10.192.0.3",
        "fi",
    )


def test_dhcp_on_a_private_switch_behind_default_block_pf_is_passed_on_the_bridge():
    host = s.Host(
        name="h",
        interfaces=(s.Interface(name="em0", address="192.168.0.2/24"),),
        switches=(s.Switch(name="lan", address="10.0.0.1/24", private=True),),
        vms=(s.VirtualMachine(name="guest", nics=(s.VmNic(switch="lan", dhcp=True),)),),
        jails=(s.Jail(name="j", type="vnet", nics=(s.JailNic(name="vnet0", switch="lan", dhcp=True),)),),
        dhcp=(s.DhcpService(switch="lan", range_start="10.0.0.10", range_end="10.0.0.20"),),
        firewall=s.FirewallPolicy(default_block=True),
    )
    config = _render(host)
    pf = file_content(config, "/etc/pf.conf")
    # if_bridge(4) filters every member (pfil_member=1): a default block drops the epair's and tap's DHCP
    assert_in_order(pf, "block", "pass quick on lan")
    assert file_content(config, "/etc/sysctl.conf.local").splitlines()[1:] == [
        "net.link.bridge.pfil_member=0",
        "net.link.bridge.pfil_bridge=1",
    ]
    assert_in_order(
        config.script,
        "sysctl net.link.bridge.pfil_member=0 net.link.bridge.pfil_bridge=1",
        "if service pf status >/dev/null 2>&1; then service pf reload; else service pf start; fi",
    )


def test_no_bridge_sysctls_without_default_block():
    host = s.Host(
        name="h",
        interfaces=(s.Interface(name="em0", address="192.168.0.2/24"),),
        switches=(s.Switch(name="lan", address="10.0.0.1/24"),),
        jails=(s.Jail(name="j", type="vnet", nics=(s.JailNic(name="vnet0", switch="lan", address="10.0.0.5/24"),)),),
        firewall=s.FirewallPolicy(),
    )
    config = _render(host)
    assert config.file("/etc/sysctl.conf.local") is None
    assert_no_line(file_content(config, "/etc/pf.conf"), "pass quick on lan")
