"""Unit tests of the FreeBSD renderer: derived names, consistency of script and files, determinism.

Purity (no Django, no models, no I/O modules) is an import-linter contract (``make lint``).
"""

from __future__ import annotations

import re
import shlex
import subprocess

import pytest

from topology import snapshot as s
from topology.render.freebsd import render_design, render_host
from topology.render.freebsd.context import clone_units
from topology.render.freebsd.jails import epair_names
from topology.render.freebsd.plan import UnsafeValueError, q, rc_name, sh_quote
from topology.render.freebsd.render import build_plan
from topology.render.freebsd.script import render_script

from .helpers import EXAMPLES_DIR, assert_in_order, assert_lines, assert_no_line, example, file_content, managed_file

EXAMPLES = sorted(p.stem for p in EXAMPLES_DIR.glob("s*.yaml"))


def _design(*hosts: s.Host, segments: tuple[s.VxlanSegment, ...] = ()) -> s.DesignSnapshot:
    return s.DesignSnapshot(name="unit", hosts=hosts, vxlan_segments=segments)


@pytest.mark.parametrize("stem", EXAMPLES)
def test_rendering_is_deterministic(stem):
    snapshot = example(stem)
    first, second = render_design(snapshot), render_design(snapshot)
    assert first == second
    for name, config in first.items():
        assert render_host(snapshot, name) == config


@pytest.mark.parametrize("stem", EXAMPLES)
def test_script_sysrc_lines_write_the_managed_rc_conf(stem):
    """Replaying the script's sysrc lines (sysrc writes NAME="VALUE") gives exactly the managed rc.conf.local:
    one file for both, so neither can drop the other's values at boot."""
    for config in render_design(example(stem)).values():
        replayed: dict[str, str] = {}
        for line in config.script.splitlines():
            if line.startswith("sysrc "):
                argv = shlex.split(line)
                assert argv[1] == "-f"
                if argv[2] != "/etc/rc.conf.local":
                    continue
                for assignment in argv[3:]:
                    name, value = assignment.split("=", 1)
                    replayed[name] = f'{name}="{value}"'
            assert not line.startswith("service ") or not line.endswith(" enable"), "service enable writes rc.conf"
        managed = config.file("/etc/rc.conf.local")
        values = {}
        if managed is not None:
            for line in managed.content.splitlines():
                if not line.startswith("#"):
                    values[line.split("=", 1)[0]] = line
        assert replayed == values


def test_lists_add_to_what_rc_conf_already_lists():
    config = render_design(example("s10-vxlan-multicast"))["jailhost-a"]
    rc = file_content(config, "/etc/rc.conf.local")
    assert_lines(rc, 'cloned_interfaces="${cloned_interfaces} vxlan111 vxlan222 bridge0 bridge1"')
    assert_lines(rc, 'static_routes="${static_routes} vxlan111 vxlan222"')
    # sourced after an administrator's own rc.conf, the lists keep the administrator's entries
    out = subprocess.run(
        ["dash", "-c", f"cloned_interfaces='lo5'; static_routes='own'; {rc}\necho $cloned_interfaces/$static_routes"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "lo5 vxlan111 vxlan222 bridge0 bridge1/own vxlan111 vxlan222"


@pytest.mark.parametrize("stem", EXAMPLES)
def test_script_heredocs_match_the_managed_files(stem):
    for config in render_design(example(stem)).values():
        lines = config.script.splitlines()
        for index, line in enumerate(lines):
            match = re.match(r"^cat > (\S+) <<'(\w+)'$", line)
            if match:
                path, delimiter = match.groups()
                end = lines.index(delimiter, index + 1)
                assert "\n".join(lines[index + 1 : end]) + "\n" == file_content(config, path)


def test_unknown_host_is_a_key_error():
    with pytest.raises(KeyError):
        render_host(example("s01-plain-inherit"), "nope")


def test_bridge_units_follow_switch_names_and_keep_explicit_units():
    assert clone_units(["alpha", "bridge0", "zeta"], "bridge") == {
        "alpha": "bridge1",
        "bridge0": "bridge0",
        "zeta": "bridge2",
    }
    assert clone_units(["vx111a", "vxlan0", "vx111b"], "vxlan") == {
        "vx111a": "vxlan1",
        "vxlan0": "vxlan0",
        "vx111b": "vxlan2",
    }


def test_bridge_switches_are_cloned_in_name_order_and_renamed():
    host = s.Host(
        name="h",
        interfaces=(s.Interface(name="em0", address="192.168.0.2/24"), s.Interface(name="em1")),
        switches=(
            s.Switch(name="zeta", address="10.9.0.1/24"),
            s.Switch(name="alpha", ports=(s.SwitchPort(interface="em1", private=True),)),
            s.Switch(name="services", kind="vm-switch", address="10.1.1.1/24"),
        ),
    )
    script = render_host(_design(host), "h").script
    assert_in_order(
        script,
        "sysrc -f /etc/rc.conf.local 'cloned_interfaces=${cloned_interfaces} bridge0 bridge1'",
        'sysrc -f /etc/rc.conf.local ifconfig_bridge0_name="alpha"',
        'sysrc -f /etc/rc.conf.local ifconfig_alpha="addm em1 private em1"',
        'sysrc -f /etc/rc.conf.local ifconfig_bridge1_name="zeta"',
        'sysrc -f /etc/rc.conf.local ifconfig_zeta="inet 10.9.0.1/24"',
    )
    assert_lines(script, 'sysrc -f /etc/rc.conf.local ifconfig_em1="up"', "vm switch create -a 10.1.1.1/24 services")
    assert_no_line(script, "-t manual")  # no VM on a bridge: vm-bhyve need not know them


def test_vm_on_a_bridge_registers_a_manual_vm_bhyve_switch_once():
    host = s.Host(
        name="h",
        tools=("vm-bhyve",),
        switches=(s.Switch(name="lan", private=True), s.Switch(name="std", kind="vm-switch")),
        vms=(
            s.VirtualMachine(name="a", nics=(s.VmNic(switch="lan", dhcp=True), s.VmNic(switch="std", dhcp=True))),
            s.VirtualMachine(name="b", cpu=2, memory="2G", nics=(s.VmNic(switch="lan", dhcp=True),)),
        ),
    )
    config = render_host(_design(host), "h")
    assert config.script.count("vm switch create -t manual -b lan lan") == 1
    assert_in_order(config.script, "vm switch create -t manual -b lan lan", "vm switch private lan on")
    assert_lines(
        config.script,
        "vm switch create std",
        'sysrc -f /zroot/vms/a/a.conf network0_type="virtio-net"',
        'sysrc -f /zroot/vms/a/a.conf network1_switch="std"',
        "[ -e /zroot/vms/b/b.conf ] || vm create -t b -s 20G b",
    )
    # a re-run must not add another NIC: the guest's NICs are set, never added
    assert not [line for line in config.script.splitlines() if line.startswith("vm add")]
    assert_lines(
        file_content(config, "/zroot/vms/.config/system.conf"),
        'switch_list="lan std"',  # the order of the vm switch create commands
        'type_lan="manual"',
        'bridge_lan="lan"',
        'private_lan="yes"',
    )
    assert_lines(file_content(config, "/zroot/vms/.templates/b.conf"), 'cpu="2"', 'memory="2G"')
    assert_lines(config.script, '#   ifconfig_vtnet1="DHCP"')


def test_iocage_vnet_jail_with_two_nics_dhcp_mac_and_private_second_nic():
    host = s.Host(
        name="h",
        switches=(s.Switch(name="front", address="10.0.0.1/24"), s.Switch(name="back", address="10.0.1.1/24")),
        jails=(
            s.Jail(
                name="web",
                type="vnet",
                nics=(
                    s.JailNic(name="vnet0", switch="front", address="10.0.0.5/24"),
                    s.JailNic(name="vnet1", switch="back", dhcp=True, mac="58:9c:fc:00:00:05", private=True),
                ),
                default_router="10.0.0.1",
                devfs_ruleset=10,
            ),
        ),
    )
    config = render_host(_design(host), "h")
    assert_lines(
        config.script,
        f'iocage create -r {s.CURRENT_RELEASE} -n web interfaces="vnet0:front,vnet1:back" '
        'ip4_addr="vnet0|10.0.0.5/24,vnet1|DHCP" '
        'vnet1_mac="5a:9c:fc:00:00:04 58:9c:fc:00:00:05" dhcp=1 bpf=1 defaultrouter="10.0.0.1" '
        'vnet_default_interface="front" devfs_ruleset=10 '
        'exec_poststart="/usr/local/sbin/set_ioc_vnet_private.sh web vnet1" vnet=on',
    )
    assert_lines(file_content(config, "/etc/devfs.rules"), "[vnet_jail_bpf=10]", "add path 'bpf*' unhide")


def test_jail_conf_vnet_jail_uses_epairs_on_its_bridge():
    host = s.Host(
        name="h",
        switches=(s.Switch(name="lan", address="10.0.0.1/24", private=True),),
        jails=(
            s.Jail(
                name="db",
                type="vnet",
                manager="jail.conf",
                boot=True,
                nics=(s.JailNic(name="vnet0", switch="lan", address="10.0.0.7/24", mtu=1450),),
                default_router="10.0.0.1",
            ),
        ),
    )
    config = render_host(_design(host), "h")
    stanza = file_content(config, "/etc/jail.conf.d/db.conf")
    host_side, jail_side = epair_names(host.jails[0], host.jails[0].nics[0])
    assert (host_side, jail_side) == ("jn31c276ea", "jn31c276eb")
    # the kernel picks the epair's unit (no fixed epair0 to collide with iocage's, pot's or vm-bhyve's); the
    # helper sets the MTU before addm, since a bridge member refuses an MTU change
    assert_lines(
        stanza,
        "    vnet;",
        f'    exec.prestart = "/usr/local/sbin/jailnet-epair {host_side} {jail_side} lan 1450 jail:db:vnet0 private";',
        f'    vnet.interface = "{jail_side}";',
        f'    exec.poststop = "/sbin/ifconfig {host_side} destroy";',
        '    exec.start = "/bin/sh /etc/rc";',
    )
    assert_no_line(stanza, "epair0", "route add", "exec.start +=")
    helper = file_content(config, "/usr/local/sbin/jailnet-epair")
    assert_in_order(
        helper, "a=$(ifconfig epair create)", 'ifconfig "$host_side" mtu "$mtu"', 'ifconfig "$bridge" addm "$host_side"'
    )
    assert managed_file(config, "/usr/local/sbin/jailnet-epair").mode == "0755"
    # the address and default route come up with the jail's own /etc/rc, before its services
    assert file_content(config, "/usr/local/jails/db/etc/rc.conf.local").splitlines()[1:] == [
        f'ifconfig_{jail_side}_name="vnet0"',
        'ifconfig_vnet0="inet 10.0.0.7/24 mtu 1450"',
        'defaultrouter="10.0.0.1"',
    ]
    assert_lines(
        config.script,
        'sysrc -f /etc/rc.conf.local jail_enable="YES"',
        "sysrc -f /etc/rc.conf.local 'jail_list=${jail_list} db'",
        "jls -j db >/dev/null 2>&1 || service jail start db",
        # re-running never extracts a base over a live jail
        "[ -e /usr/local/jails/db/bin/freebsd-version ] || fetch -o - "
        "https://download.freebsd.org/ftp/releases/amd64/15.1-RELEASE/base.txz | tar -xf - -C /usr/local/jails/db",
    )


def test_jail_conf_dhcp_nic_gets_a_devfs_ruleset_with_bpf():
    host = s.Host(
        name="h",
        switches=(s.Switch(name="lan"),),
        jails=(
            s.Jail(
                name="dyn", type="vnet", manager="jail.conf", nics=(s.JailNic(name="vnet0", switch="lan", dhcp=True),)
            ),
            s.Jail(name="own", type="vnet", manager="jail.conf", devfs_ruleset=10, nics=()),
        ),
    )
    config = render_host(_design(host), "h")
    # dhclient needs bpf, which the default jail rulesets hide: a ruleset of its own (10 is taken: 11)
    assert_lines(file_content(config, "/etc/jail.conf.d/dyn.conf"), "    devfs_ruleset = 11;")
    assert_lines(file_content(config, "/etc/devfs.rules"), "[vnet_jail_bpf=11]", "add path 'bpf*' unhide")
    assert_lines(file_content(config, "/usr/local/jails/dyn/etc/rc.conf.local"), 'ifconfig_vnet0="SYNCDHCP"')


def test_named_vlan_and_dhcp_interface():
    host = s.Host(
        name="h",
        interfaces=(
            s.Interface(name="em0", dhcp=True),
            s.Interface(name="em0.7", kind="vlan", parent="em0", vlan_tag=7, address="10.7.0.1/24", mtu=1400),
            s.Interface(name="storage", kind="vlan", parent="em0", vlan_tag=20, address="10.20.0.1/24"),
        ),
    )
    script = render_host(_design(host), "h").script
    assert_lines(
        script,
        'sysrc -f /etc/rc.conf.local ifconfig_em0="DHCP"',
        "sysrc -f /etc/rc.conf.local 'vlans_em0=${vlans_em0} 7 storage'",
        'sysrc -f /etc/rc.conf.local ifconfig_em0_7="10.7.0.1/24 mtu 1400"',
        'sysrc -f /etc/rc.conf.local create_args_storage="vlan 20"',
        "ifconfig storage >/dev/null 2>&1 || ifconfig storage create vlan 20 vlandev em0",
    )


def test_multicast_member_without_group_route_and_custom_port():
    segment = s.VxlanSegment(
        name="v",
        vni=5000,
        multicast_group="239.1.1.1",
        udp_port=8472,
        members=(s.VxlanMember(host="h", interface_name="vxlan5000", underlay_interface="em0", group_route=False),),
    )
    host = s.Host(name="h", interfaces=(s.Interface(name="em0", address="192.168.0.2/24"),))
    script = render_host(_design(host, segments=(segment,)), "h").script
    assert_lines(
        script,
        'sysrc -f /etc/rc.conf.local create_args_vxlan5000="vxlanid 5000 vxlanlocal 192.168.0.2 vxlandev em0 vxlangroup 239.1.1.1 '  # noqa: E501
        'vxlanlocalport 8472 vxlanremoteport 8472"',
        'sysrc -f /etc/rc.conf.local ifconfig_vxlan5000="mtu 1450 up"',
    )
    assert_no_line(script, "static_routes")


def test_quoting_and_rc_names():
    assert q("zroot/vms") == "zroot/vms"
    assert q("tank;reboot") == "'tank;reboot'"
    assert q("it's") == "'it'\\''s'"
    with pytest.raises(UnsafeValueError):
        q("-rf")
    assert sh_quote("plain words") == '"plain words"'
    for unsafe in ('a "b"', "$c", "`id`", "a\\b", "a\nb", "it's"):
        with pytest.raises(UnsafeValueError):
            sh_quote(unsafe)
    assert rc_name("em0.101") == "em0_101"
    assert rc_name("vx-111/a+b") == "vx_111_a_b"


def test_heredoc_delimiter_avoids_content_lines():
    host = s.Host(name="h")
    plan = build_plan("unit", host, [])
    plan.section("x").file("/tmp/f", "a\nEOF\nb\n")
    script = render_script(plan)
    assert_lines(script, "cat > /tmp/f <<'JAILNET_EOF'", "EOF", "JAILNET_EOF")
