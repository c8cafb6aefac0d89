"""Jails: iocage, pot and plain jail.conf; devfs rulesets, the private-member hook, pf inside VNET jails."""

from __future__ import annotations

import hashlib
import ipaddress
import re

from ...snapshot import Jail, JailNic
from .context import HostContext, address_of
from .firewall import jail_pf_conf
from .plan import Flag, HostPlan, Section, UnsafeValueError, command_line, comment_lines, conf_word, q, rc_assignment

PRIVATE_HOOK = "/usr/local/sbin/set_ioc_vnet_private.sh"
POT_CONF = "/usr/local/etc/pot/pot.conf"
POT_FS_ROOT = "/opt/pot"
JAIL_CONF_ROOT = "/usr/local/jails"
DEFAULT_RULESETS = range(1, 6)  # /etc/defaults/devfs.rules: hide_all .. jail_vnet
EPAIR_HELPER = "/usr/local/sbin/jailnet-epair"
# devfs ruleset for jail.conf jails and pots with a DHCP NIC but no ruleset of their own: the default
# jail rulesets (4, 5) hide bpf(4), which dhclient(8) needs. The first free number from here is used.
DHCP_RULESET_BASE = 10

# jail.conf VNET jails: the kernel picks the epair's unit (fixed epair0, epair1 ... collide with epairs
# iocage, pot or vm-bhyve created first) and both ends are renamed; the MTU is set before the host side
# joins the bridge, because a bridge member refuses an MTU change (if_bridge(4)).
EPAIR_HELPER_SCRIPT = """#!/bin/sh
# Creates the epair of a jail.conf VNET jail's NIC (jailnet). Called from the jail's exec.prestart:
#   jailnet-epair HOST_SIDE JAIL_SIDE BRIDGE MTU|- DESCRIPTION [private]
set -eu
host_side=$1 jail_side=$2 bridge=$3 mtu=$4 descr=$5 private=${6:-}
# an epair left over from an unclean stop would make the rename fail
if ifconfig "$host_side" >/dev/null 2>&1; then
    ifconfig "$host_side" destroy
fi
a=$(ifconfig epair create)
b="${a%a}b"
ifconfig "$a" name "$host_side" >/dev/null
ifconfig "$b" name "$jail_side" >/dev/null
if [ "$mtu" != "-" ]; then
    ifconfig "$host_side" mtu "$mtu"
    ifconfig "$jail_side" mtu "$mtu"
fi
ifconfig "$host_side" description "$descr" up
ifconfig "$bridge" addm "$host_side"
if [ "$private" = private ]; then
    ifconfig "$bridge" private "$host_side"
fi
"""

# The article's script, with its grep slip fixed: the closing quote belongs before ">/dev/null", and a
# space after the interface name keeps vnet0.1 from matching vnet0.15.
PRIVATE_HOOK_SCRIPT = """#!/bin/sh
# Marks an iocage VNET jail's bridge member private (ifconfig BRIDGE private vnetN.JID).
# Run from the jail's exec_poststart hook: set_ioc_vnet_private.sh jailname [vnetprefix]

set -e

if [ "$#" -ne 1 -a "$#" -ne 2 ]; then
    echo "Usage: $0 jailname [vnetprefix]" >&2
    exit 1
fi

JAILNAME=$1
VNETPREFIX=${2:-vnet0}

JAILINFO=$(jls -j ioc-$JAILNAME)
JID=$(echo "$JAILINFO" | grep $JAILNAME | awk '{ print $1 }')

for BRIDGE in $(ifconfig -g bridge); do
    CONFIG=$(ifconfig $BRIDGE)
    set +e
    echo "$CONFIG" | grep "member: ${VNETPREFIX}\\.${JID} " >/dev/null
    NOTFOUND=$?
    set -e
    if [ $NOTFOUND -eq 0 ]; then
        ifconfig $BRIDGE private $VNETPREFIX.$JID
        exit 0
    fi
done

echo "Couldn't find interface $VNETPREFIX.$JID on any bridges" >&2
exit 1
"""

_DEVFS_BASE = (
    "add include $devfsrules_hide_all",
    "add include $devfsrules_unhide_basic",
    "add include $devfsrules_unhide_login",
    "add include $devfsrules_jail",
)


def pot_base(release: str) -> str:
    """pot's base name for a release: ``12.1-RELEASE`` -> ``12.1``."""
    return release.split("-", 1)[0]


def iocage_package(release: str) -> str:
    """The iocage package in the quarterly branch of the HOST's release (py36-iocage on 12.x, as in the article).

    The host's pkg repository decides the package name; a jail's release does not (a 14.1 host runs 13.2 jails).
    """
    major = release.split(".", 1)[0].split("-", 1)[0]
    return {"11": "py36-iocage", "12": "py36-iocage", "13": "py39-iocage"}.get(major, "py311-iocage")


def jail_root(ctx: HostContext, jail: Jail) -> str:
    """The jail's root directory on the host."""
    if jail.manager == "iocage":
        return f"/{ctx.host.zfs_pool}/iocage/jails/{jail.name}/root"
    if jail.manager == "pot":
        return f"{POT_FS_ROOT}/jails/{jail.name}/m"
    return f"{JAIL_CONF_ROOT}/{jail.name}"


def jail_etc(ctx: HostContext, jail: Jail) -> str:
    """Where the jail's own /etc is kept on the host.

    A pot's ``m/`` is only a mountpoint, filled when the pot starts; its /etc lives in the pot's ``custom``
    dataset, mounted at ``$POT_FS_ROOT/jails/NAME/custom`` (pot's create.sh clones it there).
    """
    if jail.manager == "pot":
        return f"{POT_FS_ROOT}/jails/{jail.name}/custom/etc"
    return f"{jail_root(ctx, jail)}/etc"


def _private_nics(ctx: HostContext, jail: Jail) -> list[JailNic]:
    return [n for n in jail.nics if n.private or ctx.private_members(n.switch)]


def _host_side_mac(mac: str) -> str:
    """A MAC for the host side of the epair, derived from the jail side's (iocage stores both)."""
    try:
        octets = [int(part, 16) for part in conf_word(mac).split(":")]
    except ValueError as exc:
        raise UnsafeValueError(f"{mac[:40]!r} is not a MAC address") from exc
    octets[0] = (octets[0] | 0x02) & 0xFE  # locally administered, unicast
    octets[5] ^= 0x01
    return ":".join(f"{o:02x}" for o in octets)


def effective_ruleset(ctx: HostContext, jail: Jail) -> int | None:
    """The devfs ruleset a jail runs with: its own, or for a jail.conf jail or pot with a DHCP NIC, one
    that unhides bpf (iocage builds its own for ``bpf=1``)."""
    if jail.devfs_ruleset is not None:
        return jail.devfs_ruleset
    if jail.manager != "iocage" and any(n.dhcp for n in jail.nics):
        return _dhcp_ruleset(ctx)
    return None


def _dhcp_ruleset(ctx: HostContext) -> int:
    taken = {j.devfs_ruleset for j in ctx.host.jails if j.devfs_ruleset is not None}
    number = DHCP_RULESET_BASE
    while number in taken:
        number += 1
    return number


def _custom_rulesets(ctx: HostContext) -> dict[int, list[Jail]]:
    rulesets: dict[int, list[Jail]] = {}
    for jail in ctx.host.jails:
        number = effective_ruleset(ctx, jail)
        if number is not None and number not in DEFAULT_RULESETS:
            rulesets.setdefault(number, []).append(jail)
    return rulesets


def devfs_rules(ctx: HostContext) -> str | None:
    """/etc/devfs.rules: one ruleset per custom number, unhiding pf/pflog (firewall) and bpf (DHCP)."""
    rulesets = _custom_rulesets(ctx)
    if not rulesets:
        return None
    blocks = []
    for number in sorted(rulesets):
        jails = rulesets[number]
        pf = any(j.firewall is not None and j.firewall.engine == "pf" for j in jails)
        bpf = any(n.dhcp for j in jails for n in j.nics)
        name = "vnet_jail" + ("_pf" if pf else "") + ("_bpf" if bpf else "")
        lines = [f"[{name}={number}]", *_DEVFS_BASE]
        if pf:
            lines += ["add path pf unhide", "add path pflog unhide"]
        if bpf:
            lines.append("add path 'bpf*' unhide")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _iocage_props(ctx: HostContext, jail: Jail) -> list[str]:
    """The jail's iocage properties as ``name=value`` words (each one shell word)."""
    props: list[str] = []
    if jail.type == "plain":
        if jail.inherit:
            props.append("ip4=inherit")
        elif jail.addresses:
            aliases = ",".join(f"{a.interface}|{a.address}" if a.interface else a.address for a in jail.addresses)
            props.append(f"ip4_addr={aliases}")
    else:
        props.append(f"interfaces={','.join(f'{n.name}:{ctx.switch_interface(n.switch)}' for n in jail.nics)}")
        addresses = [f"{n.name}|{n.address}" for n in jail.nics if n.address]
        addresses += [f"{n.name}|DHCP" for n in jail.nics if n.dhcp]
        if addresses:
            props.append(f"ip4_addr={','.join(addresses)}")
        for nic in jail.nics:
            if nic.mtu:
                props.append(f"{nic.name}_mtu={nic.mtu}")
            if nic.mac:
                props.append(f"{nic.name}_mac={_host_side_mac(nic.mac)} {nic.mac}")
        if any(n.dhcp for n in jail.nics):
            props += ["dhcp=1", "bpf=1"]
        if jail.default_router:
            props.append(f"defaultrouter={jail.default_router}")
        if jail.nics:
            # the jail's own switch: keeps iocage from adding the host's default-route NIC to the bridge ("auto")
            props.append(f"vnet_default_interface={ctx.switch_interface(jail.nics[0].switch)}")
    if jail.allow_raw_sockets:
        props.append("allow_raw_sockets=1")
    if jail.devfs_ruleset is not None:
        props.append(f"devfs_ruleset={jail.devfs_ruleset}")
    private = _private_nics(ctx, jail) if jail.type == "vnet" else []
    if private:
        hooks = [f"{PRIVATE_HOOK} {jail.name}" + ("" if n.name == "vnet0" else f" {n.name}") for n in private]
        props.append(f"exec_poststart={' && '.join(hooks)}")
    if jail.boot:
        props.append("boot=1")
    if jail.type == "vnet":
        props.append("vnet=on")
    return props


def _iocage_word(prop: str) -> str:
    """``name=value`` as one shell word, the article's way: ``ip4_addr="em0.101|10.1.1.2"``, ``vnet=on``.

    Double quotes only around a value with nothing sh expands inside them; anything else in single quotes.
    """
    name, value = prop.split("=", 1)
    if not re.fullmatch(r"[a-z0-9_]+", name):  # vnet0_mtu: a NIC's name is part of the property's
        raise UnsafeValueError(f"{name[:40]!r} is not an iocage property name")
    if (name in _QUOTED_PROPS or name.endswith("_mac")) and _DOUBLE_QUOTE_SAFE.fullmatch(value):
        return f'{name}="{value}"'
    return f"{name}={q(value) if value else chr(39) * 2}"


# the properties the article writes in double quotes
_QUOTED_PROPS = frozenset({"ip4_addr", "interfaces", "defaultrouter", "vnet_default_interface", "exec_poststart"})
_DOUBLE_QUOTE_SAFE = re.compile(r"[A-Za-z0-9_@%+=:,./| &-]*")


def _iocage_create(ctx: HostContext, jail: Jail) -> list[str]:
    """Create the jail, or update the properties of the jail a previous run created (re-run safe)."""
    props = " ".join(_iocage_word(p) for p in _iocage_props(ctx, jail))
    base = command_line("iocage", "create", Flag("-r"), jail.release, Flag("-n"), jail.name)
    directory = f"/{ctx.host.zfs_pool}/iocage/jails/{jail.name}"
    lines = [f"if [ ! -d {q(directory)} ]; then", f"    {base} {props}".rstrip()]
    if props:
        lines += ["else", f"    iocage set {props} {q(jail.name)}"]
    return [*lines, "fi"]


def _pot_create(ctx: HostContext, jail: Jail) -> str:
    argv: list[object] = ["pot", "create", Flag("-p"), jail.name, Flag("-b"), pot_base(jail.release)]
    if jail.type == "vnet":
        argv += [Flag("-N"), "public-bridge"]
        for nic in jail.nics:
            if nic.address:
                argv += [Flag("-i"), address_of(nic.address)]
    elif jail.addresses and not jail.inherit:
        argv += [Flag("-N"), "alias"]
        for a in jail.addresses:
            address = address_of(a.address)
            argv += [Flag("-i"), f"{a.interface}|{address}" if a.interface else address]
    return command_line(*argv)


def epair_names(jail: Jail, nic: JailNic) -> tuple[str, str]:
    """Stable names of a jail.conf VNET NIC's epair ends (host side, jail side): short enough for IFNAMSIZ,
    the same on every render, unique per jail and NIC."""
    digest = hashlib.sha1(f"{jail.name}/{nic.name}".encode()).hexdigest()[:7]
    return f"jn{digest}a", f"jn{digest}b"


def _jail_conf(ctx: HostContext, jail: Jail) -> str:
    """An /etc/jail.conf.d stanza in the FreeBSD Handbook's style (epair + bridge for VNET)."""
    name = conf_word(jail.name)
    lines = [
        f"{name} {{",
        '    exec.start = "/bin/sh /etc/rc";',
        '    exec.stop = "/bin/sh /etc/rc.shutdown jail";',
        f'    exec.consolelog = "/var/log/jail_console_{name}.log";',
        "    exec.clean;",
        "    mount.devfs;",
        f'    path = "{conf_word(jail_root(ctx, jail))}";',
        f'    host.hostname = "{name}";',
    ]
    ruleset = effective_ruleset(ctx, jail)
    if ruleset is not None:
        lines.append(f"    devfs_ruleset = {int(ruleset)};")
    if jail.allow_raw_sockets:
        lines.append("    allow.raw_sockets;")
    if jail.type == "plain":
        if jail.inherit:
            lines.append("    ip4 = inherit;")
        elif jail.addresses:
            addresses = ", ".join(
                f'"{conf_word(a.interface)}|{conf_word(a.address)}"' if a.interface else f'"{conf_word(a.address)}"'
                for a in jail.addresses
            )
            lines.append(f"    ip4.addr = {addresses};")
    elif jail.nics:
        lines.append("    vnet;")
        for offset, nic in enumerate(jail.nics):
            host_side, jail_side = epair_names(jail, nic)
            bridge = conf_word(ctx.switch_interface(nic.switch))
            private = " private" if nic.private or ctx.private_members(nic.switch) else ""
            mtu = nic.mtu or "-"
            operator = "=" if offset == 0 else "+="
            lines += [
                f'    exec.prestart {operator} "{EPAIR_HELPER} {host_side} {jail_side} {bridge} {mtu} '
                f'jail:{name}:{nic.name}{private}";',
                f'    vnet.interface {operator} "{jail_side}";',
                f'    exec.poststop {operator} "/sbin/ifconfig {host_side} destroy";',
            ]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _jail_rc_conf(jail: Jail, *, firewall: bool) -> str | None:
    """The jail's own rc.conf.local (jail.conf VNET jails and pf inside a jail): its NICs, addresses and
    default route come up with the jail's /etc/rc, before its services start."""
    values: list[tuple[str, str]] = []
    if jail.manager == "jail.conf" and jail.type == "vnet":
        for nic in jail.nics:
            _, jail_side = epair_names(jail, nic)
            values.append((f"ifconfig_{jail_side}_name", nic.name))
            if nic.mac:
                values.append((f"ifconfig_{nic.name}_ether", nic.mac))
            words = ["SYNCDHCP"] if nic.dhcp or not nic.address else [f"inet {nic.address}"]
            if nic.mtu:
                words.append(f"mtu {nic.mtu}")
            values.append((f"ifconfig_{nic.name}", " ".join(words)))
        if jail.default_router:
            values.append(("defaultrouter", jail.default_router))
    if firewall:
        values.append(("pf_enable", "YES"))
    if not values:
        return None
    lines = comment_lines(f"Managed by jailnet: the network of jail {jail.name}")
    lines += [rc_assignment(name, value, append=False) for name, value in values]
    return "\n".join(lines) + "\n"


def _jail_files(section: Section, ctx: HostContext, jail: Jail) -> bool:
    """The jail's own pf.conf and rc.conf.local; True when pf runs inside the jail."""
    content = jail_pf_conf(jail)
    etc = jail_etc(ctx, jail)
    if content is not None:
        section.note("pf inside the jail: its own /etc/pf.conf, enabled in its rc.conf.local")
        section.file(f"{etc}/pf.conf", content)
    rc = _jail_rc_conf(jail, firewall=content is not None)
    if rc is not None:
        section.file(f"{etc}/rc.conf.local", rc)
    return content is not None


def plan_jail_setup(plan: HostPlan, ctx: HostContext) -> None:
    """Jail manager setup: iocage activate/fetch/fdescfs, pot init and pot.conf, devfs rules, hook script."""
    host = ctx.host
    jails = host.jails
    if not jails:
        return
    managers = {j.manager for j in jails}
    section = plan.section("Jail managers")
    if "iocage" in managers:
        section.cmd("iocage", "activate", host.zfs_pool)
        for release in sorted({j.release for j in jails if j.manager == "iocage"}):
            section.cmd("iocage", "fetch", Flag("-r"), release)
        section.note("iocage needs fdescfs(5) on /dev/fd, now and after reboot")
        section.run("mount -t fdescfs | grep -q ' on /dev/fd ' || mount -t fdescfs null /dev/fd")
        section.run("grep -q '^fdesc[[:space:]]' /etc/fstab || echo 'fdesc /dev/fd fdescfs rw 0 0' >> /etc/fstab")
        if any(j.boot for j in jails if j.manager == "iocage"):
            section.enable("iocage")
    if "pot" in managers:
        section.file(POT_CONF, _pot_conf(ctx))
        section.run("pot init")
        for base in sorted({pot_base(j.release) for j in jails if j.manager == "pot"}):
            section.cmd("pot", "create-base", Flag("-r"), base)
        if any(j.type == "vnet" for j in jails if j.manager == "pot"):
            section.run("pot vnet-start")
        if any(j.boot for j in jails if j.manager == "pot"):
            section.enable("pot")
    if "jail.conf" in managers:
        section.enable("jail")
        if any(j.type == "vnet" and j.nics for j in jails if j.manager == "jail.conf"):
            section.note("jail.conf VNET jails create their epairs with this helper (exec.prestart)")
            section.file(EPAIR_HELPER, EPAIR_HELPER_SCRIPT, mode="0755")
    rules = devfs_rules(ctx)
    if rules:
        section.file("/etc/devfs.rules", rules)
        section.run("service devfs restart")
    needs_pf_module = any(j.firewall is not None and j.firewall.engine == "pf" for j in jails)
    if needs_pf_module and "pf_enable" not in plan.rc_vars:
        section.note("pf inside VNET jails needs the pf kernel module on the host")
        section.sysrc("kld_list", "pf", append=True)
        section.run("kldload -n pf")
    if any(_private_nics(ctx, j) for j in jails if j.type == "vnet" and j.manager == "iocage"):
        section.note("iocage cannot mark a jail's bridge member private itself; its exec_poststart hook runs this")
        section.file(PRIVATE_HOOK, PRIVATE_HOOK_SCRIPT, mode="0755")


def _pot_conf(ctx: HostContext) -> str:
    lines = comment_lines(f"Managed by jailnet: pot settings of host {ctx.host.name} (overrides pot.default.conf)")
    if ctx.ext_if:
        lines.append(f"POT_EXTIF={conf_word(ctx.ext_if)}")
    bridge = next((s for s in ctx.host.switches if s.kind == "pot-bridge" and s.address), None)
    if bridge is not None and bridge.address:
        try:
            network = ipaddress.IPv4Interface(bridge.address).network
        except ValueError as exc:
            raise UnsafeValueError(f"{bridge.address[:40]!r} is not an address for POT_NETWORK") from exc
        lines += [
            "# Internal Virtual Network configuration (the pot bridge)",
            f"POT_NETWORK={network}",
            f"POT_NETMASK={network.netmask}",
            f"POT_GATEWAY={conf_word(address_of(bridge.address))}",
        ]
    if any(s.kind == "pot-bridge" and s.private for s in ctx.host.switches) or any(
        n.private for j in ctx.host.jails if j.manager == "pot" for n in j.nics
    ):
        lines += [
            "# Private members: pot keeps VNET pots on its bridge from talking to each other (pot 0.16.0 and later)",
            "POT_ISOLATE_VNET_POTS=true",
        ]
    return "\n".join(lines) + "\n"


def _pot_export_ports(ctx: HostContext, jail: Jail) -> str | None:
    """One ``pot export-ports`` for every redirect to the pot: each call replaces the pot's list
    (export-ports.sh deletes ``pot.export.ports`` before writing it). ``-e POT_PORT:HOST_PORT``, and
    ``udp:`` in front for UDP (pot 0.12.0 and later)."""
    words: list[object] = []
    for redirect in ctx.host.redirects:
        if redirect.target_jail == jail.name:
            proto = "" if redirect.protocol == "tcp" else f"{redirect.protocol}:"
            words += [Flag("-e"), f"{proto}{redirect.target_port}:{redirect.external_port}"]
    if not words:
        return None
    return command_line("pot", "export-ports", Flag("-p"), jail.name, *words)


def plan_jails(plan: HostPlan, ctx: HostContext) -> None:
    """Each jail in design order: create it (or update it on a re-run), write its files, start it."""
    for jail in ctx.host.jails:
        kind = "VNET jail" if jail.type == "vnet" else "Plain jail"
        section = plan.section(f"{kind} {jail.name} ({jail.manager})")
        if jail.manager == "iocage":
            for line in _iocage_create(ctx, jail):
                section.run(line)
            if _jail_files(section, ctx, jail):
                section.cmd("iocage", "restart" if jail.boot else "start", jail.name)
            elif not jail.boot:
                section.cmd("iocage", "start", jail.name)
        elif jail.manager == "pot":
            directory = f"{POT_FS_ROOT}/jails/{jail.name}"
            section.run(f"if [ ! -d {q(directory)} ]; then")
            section.run(f"    {_pot_create(ctx, jail)}")
            section.run("fi")
            export = _pot_export_ports(ctx, jail)
            if export:
                section.run(export)
            if jail.devfs_ruleset is not None:
                section.cmd(
                    "pot",
                    "set-attr",
                    Flag("-p"),
                    jail.name,
                    Flag("-A"),
                    "devfs_ruleset",
                    Flag("-V"),
                    jail.devfs_ruleset,
                )
            _jail_files(section, ctx, jail)
            if jail.boot:
                section.cmd("pot", "set-attr", Flag("-p"), jail.name, Flag("-A"), "start-at-boot", Flag("-V"), "YES")
            section.cmd("pot", "start", jail.name)
        else:
            root = jail_root(ctx, jail)
            section.cmd("mkdir", Flag("-p"), root)
            url = f"https://download.freebsd.org/ftp/releases/amd64/{jail.release}/base.txz"
            section.note("the base system is extracted once: never over a jail that already has one")
            section.run(f"[ -e {q(root + '/bin/freebsd-version')} ] || fetch -o - {q(url)} | tar -xf - -C {q(root)}")
            section.file(f"/etc/jail.conf.d/{conf_word(jail.name)}.conf", _jail_conf(ctx, jail))
            _jail_files(section, ctx, jail)
            if jail.boot:
                section.sysrc("jail_list", jail.name, append=True)
            section.run(f"jls -j {q(jail.name)} >/dev/null 2>&1 || service jail start {q(jail.name)}")
