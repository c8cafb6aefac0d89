"""The deployable bundle of a FreeBSD host: the plan's managed files and a converging apply program.

The apply program is ``programs/converge-freebsd.sh`` (the steps) followed by this host's calls, derived from
the same :class:`~.plan.HostPlan` as the operator script and the managed files: the final rc.conf values say
which interfaces are cloned (and renamed), which addresses, MTUs and bridge members they have, the routes, and
whether pf, ipfw, natd and dnsmasq run; the design says which jails and guests exist. Every step acts only on
a difference, so a second run changes nothing; jails and guests restart only when one of their own files
changed, pf reloads with ``pfctl -f`` when it already runs.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from importlib.resources import files

from ...snapshot import DesignSnapshot, Host
from ..bundle import Bundle, BundleCheck, BundleFile
from .context import members_by_host
from .files import RC_CONF_LOCAL, render_files
from .plan import HostPlan, rc_name
from .render import build_plan

CONVERGE_COMMON = files("topology.render").joinpath("converge-common.sh").read_text(encoding="utf-8")
CONVERGE_LIBRARY = files(__package__).joinpath("programs", "converge-freebsd.sh").read_text(encoding="utf-8")
OWNER = "root:wheel"
PF_CONF = "/etc/pf.conf"
DNSMASQ_CONF = "/usr/local/etc/dnsmasq.conf"
_IFCONFIG_VAR = re.compile(r"ifconfig_(?P<name>[A-Za-z0-9_]+?)(?:_alias(?P<alias>\d+))?")
_NOT_AN_INTERFACE_SETTING = ("_name", "_descr", "_ipv6")


def _words(plan: HostPlan, name: str) -> list[str]:
    return plan.rc_vars.get(name, "").split()


def _live_names(plan: HostPlan, host: Host) -> dict[str, str]:
    """rc.conf spelling -> interface name, for every interface this host configures."""
    names = [i.name for i in host.interfaces] + [s.interface_name for s in host.switches]
    for clone in _words(plan, "cloned_interfaces"):
        names += [clone, plan.rc_vars.get(f"ifconfig_{clone}_name", clone)]
    for var, value in plan.rc_vars.items():
        if var.startswith("vlans_"):
            parent = next((n for n in names if rc_name(n) == var.removeprefix("vlans_")), None)
            names += [f"{parent}.{tag}" for tag in value.split()] if parent else []
    return {rc_name(n): n for n in names}


def _interface_steps(interface: str, value: str) -> list[list[str]]:
    """Steps for one ``ifconfig_<if>`` value: addresses, MTU, bridge members, up."""
    words = value.split()
    steps: list[list[str]] = []
    dhcp = any(w.upper() in ("DHCP", "SYNCDHCP") for w in words)
    i = 0
    while i < len(words):
        word, following = words[i], words[i + 1] if i + 1 < len(words) else ""
        if word == "inet" and following:
            steps.append(_address(interface, following))
            i += 2
        elif i == 0 and "/" in word:
            steps.append(_address(interface, word))
            i += 1
        elif word == "addm" and following:
            steps.append(["member_ensure", interface, following])
            i += 2
        elif word == "mtu" and following:
            steps.append(["mtu_ensure", interface, following])
            i += 2
        elif word in ("descr", "description", "netmask", "vlan", "vlandev"):
            i += 2
        else:
            i += 1
    if not dhcp:
        steps.append(["up_ensure", interface])
    return steps


def _address(interface: str, cidr: str) -> list[str]:
    network = ipaddress.IPv4Interface(cidr)
    return ["addr_ensure", interface, str(network.ip), str(network.network.prefixlen)]


def converge_steps(plan: HostPlan, host: Host) -> list[list[str]]:
    """The converging steps (argv of the library's functions) of one host, in the order they must run."""
    rc = plan.rc_vars
    steps: list[list[str]] = []
    if rc.get("gateway_enable") == "YES":
        steps.append(["sysctl_ensure", "net.inet.ip.forwarding", "1"])
    for clone in _words(plan, "cloned_interfaces"):
        final = rc.get(f"ifconfig_{clone}_name", clone)
        steps.append(["clone_ensure", clone, final, *_words(plan, f"create_args_{clone}")])
    live = _live_names(plan, host)
    for var, value in rc.items():
        if var.startswith("vlans_") and var.removeprefix("vlans_") in live:
            steps += [["vlan_ensure", live[var.removeprefix("vlans_")], tag] for tag in value.split()]
    for var, value in rc.items():
        match = _IFCONFIG_VAR.fullmatch(var)
        if match is None or var.endswith(_NOT_AN_INTERFACE_SETTING):
            continue
        interface = live.get(match["name"])
        if interface is None:
            continue
        steps += _interface_steps(interface, value)
    if rc.get("defaultrouter"):
        steps.append(["default_route_ensure", rc["defaultrouter"]])
    for route in _words(plan, "static_routes"):
        steps.append(["static_route_ensure", *_words(plan, f"route_{route}")])
    if rc.get("pf_enable") == "YES":
        steps.append(["pf_ensure", PF_CONF])
    if rc.get("firewall_enable") == "YES":
        rules = [rc["firewall_type"]] if rc.get("firewall_type", "").startswith("/") else []
        steps.append(["service_ensure", "ipfw", RC_CONF_LOCAL, *rules])
    if rc.get("natd_enable") == "YES":
        steps.append(["service_ensure", "natd", RC_CONF_LOCAL])
    if rc.get("dnsmasq_enable") == "YES":
        steps.append(["service_ensure", "dnsmasq", DNSMASQ_CONF])
    if rc.get("vm_enable") == "YES":
        steps += [["vm_switch_ensure", s.interface_name] for s in host.switches if s.kind == "vm-switch"]
        steps += [["vm_ensure", vm.name, "yes" if vm.boot else "no"] for vm in host.vms]
    for jail in host.jails:
        manager = "jail" if jail.manager == "jail.conf" else jail.manager
        steps.append(["jail_ensure", manager, jail.name, "yes" if jail.boot else "no"])
    return steps


def apply_program(plan: HostPlan, host: Host) -> str:
    """The host's apply program: the converge library, then its steps (``JAILNET_MODE=library`` stops there)."""
    lines = [
        "#!/bin/sh",
        f"# jailnet apply program of {plan.host} (design {plan.design}): converges; a second run changes nothing.",
        CONVERGE_COMMON.rstrip("\n"),
        CONVERGE_LIBRARY.rstrip("\n"),
        "",
        '[ "${JAILNET_MODE:-apply}" = library ] && return 0',
        "set -e",
        *(shlex.join(step) for step in converge_steps(plan, host)),
        "reconcile",
        "",
    ]
    return "\n".join(lines)


def _checks(bundle_files: tuple[BundleFile, ...]) -> tuple[BundleCheck, ...]:
    checks = [BundleCheck("apply program is valid sh", ("sh", "-n", "{apply}"))]
    for f in bundle_files:
        staged = f"{{file:{f.path}}}"
        if f.path == PF_CONF or f.path.endswith("/pf.conf"):
            checks.append(BundleCheck(f"pfctl -nf accepts {f.path}", ("pfctl", "-nf", staged)))
        elif f.path == RC_CONF_LOCAL or f.path.endswith((".sh", "/rc.conf.local")):
            checks.append(BundleCheck(f"{f.path} is valid sh", ("sh", "-n", staged)))
        elif f.path == DNSMASQ_CONF:
            checks.append(BundleCheck(f"dnsmasq accepts {f.path}", ("dnsmasq", "--test", "-C", staged)))
    return tuple(checks)


def freebsd_bundle(snapshot: DesignSnapshot, host_name: str) -> Bundle:
    """The bundle of one FreeBSD host of ``snapshot``. KeyError if there is no such host."""
    host = snapshot.host(host_name)
    if host is None:
        raise KeyError(host_name)
    plan = build_plan(snapshot.name, host, members_by_host(snapshot).get(host_name, []))
    bundle_files = tuple(BundleFile(f.path, f.mode, OWNER, f.content) for f in render_files(plan))
    steps = converge_steps(plan, host)
    restarts = tuple(
        f"{'jail' if s[0] == 'jail_ensure' else 'VM' if s[0] == 'vm_ensure' else s[1]} "
        f"{s[2] if s[0] == 'jail_ensure' else s[1]}"
        for s in steps
        if s[0] in ("jail_ensure", "vm_ensure", "service_ensure")
    )
    return Bundle(
        host=host_name, target="freebsd", files=bundle_files, apply=apply_program(plan, host),
        checks=_checks(bundle_files), restarts=restarts,
    )  # fmt: skip


__all__ = ["CONVERGE_LIBRARY", "apply_program", "converge_steps", "freebsd_bundle"]
