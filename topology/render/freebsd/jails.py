"""Jails: iocage, pot and plain jail.conf; devfs rulesets, the private-member hook, pf inside VNET jails."""

from __future__ import annotations

from ...snapshot import Jail, JailNic
from .context import HostContext, address_of
from .firewall import jail_pf_conf
from .plan import HostPlan, Section

PRIVATE_HOOK = "/usr/local/sbin/set_ioc_vnet_private.sh"
POT_CONF = "/usr/local/etc/pot/pot.conf"
POT_FS_ROOT = "/opt/pot"
JAIL_CONF_ROOT = "/usr/local/jails"
DEFAULT_RULESETS = range(1, 6)  # /etc/defaults/devfs.rules: hide_all .. jail_vnet

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
    """The iocage package of the release's quarterly branch (py36-iocage on 12.x, as in the article)."""
    major = release.split(".", 1)[0]
    return {"11": "py36-iocage", "12": "py36-iocage", "13": "py39-iocage"}.get(major, "py311-iocage")


def jail_root(ctx: HostContext, jail: Jail) -> str:
    """The jail's root directory on the host, where its own /etc lives."""
    if jail.manager == "iocage":
        return f"/{ctx.host.zfs_pool}/iocage/jails/{jail.name}/root"
    if jail.manager == "pot":
        return f"{POT_FS_ROOT}/jails/{jail.name}/m"
    return f"{JAIL_CONF_ROOT}/{jail.name}"


def _private_nics(ctx: HostContext, jail: Jail) -> list[JailNic]:
    return [n for n in jail.nics if n.private or ctx.private_members(n.switch)]


def _host_side_mac(mac: str) -> str:
    """A MAC for the host side of the epair, derived from the jail side's (iocage stores both)."""
    octets = [int(part, 16) for part in mac.split(":")]
    octets[0] = (octets[0] | 0x02) & 0xFE  # locally administered, unicast
    octets[5] ^= 0x01
    return ":".join(f"{o:02x}" for o in octets)


def _custom_rulesets(ctx: HostContext) -> dict[int, list[Jail]]:
    rulesets: dict[int, list[Jail]] = {}
    for jail in ctx.host.jails:
        if jail.devfs_ruleset is not None and jail.devfs_ruleset not in DEFAULT_RULESETS:
            rulesets.setdefault(jail.devfs_ruleset, []).append(jail)
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


def _iocage_create(ctx: HostContext, jail: Jail) -> str:
    props: list[str] = []
    if jail.type == "plain":
        if jail.inherit:
            props.append("ip4=inherit")
        elif jail.addresses:
            aliases = ",".join(f"{a.interface}|{a.address}" if a.interface else a.address for a in jail.addresses)
            props.append(f'ip4_addr="{aliases}"')
    else:
        props.append(f'interfaces="{",".join(f"{n.name}:{ctx.switch_interface(n.switch)}" for n in jail.nics)}"')
        addresses = [f"{n.name}|{n.address}" for n in jail.nics if n.address]
        addresses += [f"{n.name}|DHCP" for n in jail.nics if n.dhcp]
        if addresses:
            props.append(f'ip4_addr="{",".join(addresses)}"')
        for nic in jail.nics:
            if nic.mtu:
                props.append(f"{nic.name}_mtu={nic.mtu}")
            if nic.mac:
                props.append(f'{nic.name}_mac="{_host_side_mac(nic.mac)} {nic.mac}"')
        if any(n.dhcp for n in jail.nics):
            props += ["dhcp=1", "bpf=1"]
        if jail.default_router:
            props.append(f'defaultrouter="{jail.default_router}"')
        if jail.nics:
            # the jail's own switch: keeps iocage from adding the host's default-route NIC to the bridge ("auto")
            props.append(f'vnet_default_interface="{ctx.switch_interface(jail.nics[0].switch)}"')
    if jail.allow_raw_sockets:
        props.append("allow_raw_sockets=1")
    if jail.devfs_ruleset is not None:
        props.append(f"devfs_ruleset={jail.devfs_ruleset}")
    private = _private_nics(ctx, jail) if jail.type == "vnet" else []
    if private:
        hooks = [f"{PRIVATE_HOOK} {jail.name}" + ("" if n.name == "vnet0" else f" {n.name}") for n in private]
        props.append(f'exec_poststart="{" && ".join(hooks)}"')
    if jail.boot:
        props.append("boot=1")
    if jail.type == "vnet":
        props.append("vnet=on")
    return f"iocage create -r {jail.release} -n {jail.name} " + " ".join(props)


def _pot_create(ctx: HostContext, jail: Jail) -> str:
    words = [f"pot create -p {jail.name} -b {pot_base(jail.release)}"]
    if jail.type == "vnet":
        words.append("-N public-bridge")
        words += [f"-i {address_of(n.address)}" for n in jail.nics if n.address]
    elif jail.addresses and not jail.inherit:
        words.append("-N alias")
        for a in jail.addresses:
            address = address_of(a.address)
            words.append(f'-i "{a.interface}|{address}"' if a.interface else f"-i {address}")
    return " ".join(words)


def _jail_conf(ctx: HostContext, jail: Jail, epair: int | None) -> str:
    """An /etc/jail.conf.d stanza in the FreeBSD Handbook's style (epair + bridge for VNET)."""
    lines = [
        f"{jail.name} {{",
        '    exec.start = "/bin/sh /etc/rc";',
        '    exec.stop = "/bin/sh /etc/rc.shutdown jail";',
        f'    exec.consolelog = "/var/log/jail_console_{jail.name}.log";',
        "    exec.clean;",
        "    mount.devfs;",
        f'    path = "{jail_root(ctx, jail)}";',
        f'    host.hostname = "{jail.name}";',
    ]
    if jail.devfs_ruleset is not None:
        lines.append(f"    devfs_ruleset = {jail.devfs_ruleset};")
    if jail.allow_raw_sockets:
        lines.append("    allow.raw_sockets;")
    if jail.type == "plain":
        if jail.inherit:
            lines.append("    ip4 = inherit;")
        elif jail.addresses:
            addresses = ", ".join(
                f'"{a.interface}|{a.address}"' if a.interface else f'"{a.address}"' for a in jail.addresses
            )
            lines.append(f"    ip4.addr = {addresses};")
    elif epair is not None:
        lines.append("    vnet;")
        prestart, start, poststop = [], [], []
        for offset, nic in enumerate(jail.nics):
            pair = f"epair{epair + offset}"
            bridge = ctx.switch_interface(nic.switch)
            lines.append(f'    vnet.interface {"=" if offset == 0 else "+="} "{pair}b";')
            prestart += [f"/sbin/ifconfig {pair} create up", f"/sbin/ifconfig {pair}a up descr jail:{jail.name}"]
            prestart.append(f"/sbin/ifconfig {bridge} addm {pair}a up")
            if nic.private or ctx.private_members(nic.switch):
                prestart.append(f"/sbin/ifconfig {bridge} private {pair}a")
            mtu = f" mtu {nic.mtu}" if nic.mtu else ""
            if nic.mtu:
                prestart.append(f"/sbin/ifconfig {pair}a mtu {nic.mtu}")
            if nic.mac:
                start.append(f"/sbin/ifconfig {pair}b ether {nic.mac}")
            start.append(f"/sbin/ifconfig {pair}b {nic.address}{mtu} up" if nic.address else f"/sbin/dhclient {pair}b")
            poststop += [f"/sbin/ifconfig {bridge} deletem {pair}a", f"/sbin/ifconfig {pair}a destroy"]
        if jail.default_router:
            start.append(f"/sbin/route add default {jail.default_router}")
        for key, commands in (("exec.prestart", prestart), ("exec.start", start), ("exec.poststop", poststop)):
            for index, command in enumerate(commands):
                operator = "=" if index == 0 and key != "exec.start" else "+="
                lines.append(f'    {key} {operator} "{command}";')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _jail_firewall(section: Section, ctx: HostContext, jail: Jail) -> bool:
    content = jail_pf_conf(jail)
    if content is None:
        return False
    root = jail_root(ctx, jail)
    section.note("pf inside the jail: its own /etc/pf.conf, enabled in its rc.conf.local")
    section.file(f"{root}/etc/pf.conf", content)
    section.file(f"{root}/etc/rc.conf.local", 'pf_enable="YES"\n')
    return True


def plan_jail_setup(plan: HostPlan, ctx: HostContext) -> None:
    """Jail manager setup: iocage activate/fetch/fdescfs, pot init and pot.conf, devfs rules, hook script."""
    host = ctx.host
    jails = host.jails
    if not jails:
        return
    managers = {j.manager for j in jails}
    section = plan.section("Jail managers")
    if "iocage" in managers:
        section.run(f"iocage activate {host.zfs_pool}")
        for release in sorted({j.release for j in jails if j.manager == "iocage"}):
            section.run(f"iocage fetch -r {release}")
        section.note("iocage needs fdescfs(5) on /dev/fd, now and after reboot")
        section.run("mount -t fdescfs | grep -q ' on /dev/fd ' || mount -t fdescfs null /dev/fd")
        section.run("grep -q '^fdesc[[:space:]]' /etc/fstab || echo 'fdesc /dev/fd fdescfs rw 0 0' >> /etc/fstab")
        if any(j.boot for j in jails if j.manager == "iocage"):
            section.enable("iocage")
    if "pot" in managers:
        section.file(POT_CONF, _pot_conf(ctx))
        section.run("pot init")
        for base in sorted({pot_base(j.release) for j in jails if j.manager == "pot"}):
            section.run(f"pot create-base -r {base}")
        if any(j.type == "vnet" for j in jails if j.manager == "pot"):
            section.run("pot vnet-start")
        if any(j.boot for j in jails if j.manager == "pot"):
            section.enable("pot")
    if "jail.conf" in managers:
        section.enable("jail")
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
    lines = [f"# Managed by jailnet: pot settings of host {ctx.host.name} (overrides pot.default.conf)"]
    if ctx.ext_if:
        lines.append(f"POT_EXTIF={ctx.ext_if}")
    bridge = next((s for s in ctx.host.switches if s.kind == "pot-bridge" and s.address), None)
    if bridge is not None and bridge.address:
        import ipaddress  # only pot hosts pay for it

        network = ipaddress.ip_interface(bridge.address).network
        lines += [
            "# Internal Virtual Network configuration (the pot bridge)",
            f"POT_NETWORK={network}",
            f"POT_NETMASK={network.netmask}",
            f"POT_GATEWAY={address_of(bridge.address)}",
        ]
    return "\n".join(lines) + "\n"


def plan_jails(plan: HostPlan, ctx: HostContext) -> None:
    """Each jail in design order: create it, write its files, start it."""
    epair = 0
    for jail in ctx.host.jails:
        kind = "VNET jail" if jail.type == "vnet" else "Plain jail"
        section = plan.section(f"{kind} {jail.name} ({jail.manager})")
        if jail.manager == "iocage":
            section.run(_iocage_create(ctx, jail))
            if _jail_firewall(section, ctx, jail):
                section.run(f"iocage restart {jail.name}" if jail.boot else f"iocage start {jail.name}")
            elif not jail.boot:
                section.run(f"iocage start {jail.name}")
        elif jail.manager == "pot":
            section.run(_pot_create(ctx, jail))
            for redirect in ctx.host.redirects:
                if redirect.target_jail == jail.name:
                    proto = "" if redirect.protocol == "tcp" else f"{redirect.protocol}:"
                    section.run(
                        f"pot export-ports -p {jail.name} -e {proto}{redirect.external_port}:{redirect.target_port}"
                    )
            _jail_firewall(section, ctx, jail)
            if jail.boot:
                section.run(f"pot set-attr -p {jail.name} -A start-at-boot -V YES")
            section.run(f"pot start {jail.name}")
        else:
            root = jail_root(ctx, jail)
            section.run(f"mkdir -p {root}")
            url = f"https://download.freebsd.org/ftp/releases/amd64/{jail.release}/base.txz"
            section.run(f"fetch -o - {url} | tar -xf - -C {root}")
            section.file(
                f"/etc/jail.conf.d/{jail.name}.conf", _jail_conf(ctx, jail, epair if jail.type == "vnet" else None)
            )
            if jail.type == "vnet":
                epair += len(jail.nics)
            _jail_firewall(section, ctx, jail)
            if jail.boot:
                section.sysrc("jail_list", jail.name, append=True)
            section.run(f"service jail start {jail.name}")
