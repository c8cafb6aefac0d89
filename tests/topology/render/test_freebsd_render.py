"""Unit tests of the FreeBSD renderer: derived names, consistency of script and files, determinism.

Purity (no Django, no models, no I/O modules) is an import-linter contract (``make lint``).
"""

from __future__ import annotations

import re

import pytest

from topology import snapshot as s
from topology.render.freebsd import render_design, render_host
from topology.render.freebsd.context import clone_units
from topology.render.freebsd.plan import rc_name, sh_quote
from topology.render.freebsd.render import build_plan
from topology.render.freebsd.script import render_script

from .helpers import EXAMPLES_DIR, assert_in_order, assert_lines, assert_no_line, example, file_content

EXAMPLES = sorted(p.stem for p in EXAMPLES_DIR.glob("s*.yaml"))
_SYSRC = re.compile(r'^sysrc (\w+)(\+?=)"(.*)"$')


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
def test_script_sysrc_lines_give_the_managed_rc_conf(stem):
    """Replaying the script's sysrc lines yields exactly the managed /etc/rc.conf.local values."""
    for config in render_design(example(stem)).values():
        replayed: dict[str, str] = {}
        for line in config.script.splitlines():
            match = _SYSRC.match(line)
            if match:
                name, operator, value = match.groups()
                if operator == "+=" and replayed.get(name):
                    value = " ".join(
                        [*replayed[name].split(), *(w for w in value.split() if w not in replayed[name].split())]
                    )
                replayed[name] = value
            elif line.startswith("service ") and line.endswith(" enable"):
                service = line.split()[1]
                replayed["firewall_enable" if service == "ipfw" else f"{service}_enable"] = "YES"
        managed = config.file("/etc/rc.conf.local")
        values = {}
        if managed is not None:
            for line in managed.content.splitlines():
                if not line.startswith("#"):
                    name, value = line.split("=", 1)
                    values[name] = value.strip('"')
        assert replayed == values


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
        'sysrc cloned_interfaces+="bridge0 bridge1"',
        'sysrc ifconfig_bridge0_name="alpha"',
        'sysrc ifconfig_alpha="addm em1 private em1"',
        'sysrc ifconfig_bridge1_name="zeta"',
        'sysrc ifconfig_zeta="inet 10.9.0.1/24"',
    )
    assert_lines(script, 'sysrc ifconfig_em1="up"', "vm switch create -a 10.1.1.1/24 services")
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
    assert_lines(config.script, "vm switch create std", "vm add -d network -s std a", "vm create -t b -s 20G b")
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
    assert_lines(
        stanza,
        "    vnet;",
        '    vnet.interface = "epair0b";',
        '    exec.prestart = "/sbin/ifconfig epair0 create up";',
        '    exec.prestart += "/sbin/ifconfig lan addm epair0a up";',
        '    exec.prestart += "/sbin/ifconfig lan private epair0a";',
        '    exec.start += "/sbin/ifconfig epair0b 10.0.0.7/24 mtu 1450 up";',
        '    exec.start += "/sbin/route add default 10.0.0.1";',
        '    exec.poststop = "/sbin/ifconfig lan deletem epair0a";',
    )
    assert_lines(config.script, "service jail enable", 'sysrc jail_list+="db"', "service jail start db")


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
        'sysrc ifconfig_em0="DHCP"',
        'sysrc vlans_em0+="7 storage"',
        'sysrc ifconfig_em0_7="10.7.0.1/24 mtu 1400"',
        'sysrc create_args_storage="vlan 20"',
        "ifconfig storage create vlan 20 vlandev em0",
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
        'sysrc create_args_vxlan5000="vxlanid 5000 vxlanlocal 192.168.0.2 vxlandev em0 vxlangroup 239.1.1.1 '
        'vxlanlocalport 8472 vxlanremoteport 8472"',
        'sysrc ifconfig_vxlan5000="mtu 1450 up"',
    )
    assert_no_line(script, "static_routes")


def test_quoting_and_rc_names():
    assert sh_quote('a "b" $c') == '"a \\"b\\" \\$c"'
    assert rc_name("em0.101") == "em0_101"
    assert rc_name("vx-111/a+b") == "vx_111_a_b"


def test_heredoc_delimiter_avoids_content_lines():
    host = s.Host(name="h")
    plan = build_plan("unit", host, [])
    plan.section("x").file("/tmp/f", "a\nEOF\nb\n")
    script = render_script(plan)
    assert_lines(script, "cat > /tmp/f <<'JAILNET_EOF'", "EOF", "JAILNET_EOF")
