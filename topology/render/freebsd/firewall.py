"""Firewall, NAT and IP forwarding: pf.conf (host and in-jail), ipfw + natd, gateway_enable.

pf.conf is written in the order pf.conf(5) requires (macros, options, translation, filtering) with the
article's comments and idioms: ``$ext_if``, ``$ext_if:0`` for the interface's address, a macro per
plain jail the rules mention, service names for well-known ports.
"""

from __future__ import annotations

import re

from ...snapshot import FirewallPolicy, FirewallRule, Host, Jail, PortRedirect
from .context import HostContext, address_of
from .plan import HostPlan, UnsafeValueError, conf_word

PORT_NAMES = {22: "ssh", 25: "smtp", 53: "domain", 80: "www", 443: "https"}
_MACRO_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def _port(port: int) -> str:
    return PORT_NAMES.get(port, str(port))


class _Addresses:
    """Writes addresses the way the article does: ``$ext_if:0`` and jail macros instead of literals."""

    def __init__(self, ctx: HostContext | None, ext_if: str | None):
        self.ext_if = ext_if
        self.ext_address = ctx.interface_address(ext_if) if ctx and ext_if else None
        self.jail_macros: dict[str, str] = {}  # bare address -> macro name
        self.used: dict[str, str] = {}  # macro name -> value, in first-use order
        if ctx is not None:
            for jail in ctx.host.jails:
                if jail.type == "plain" and not jail.inherit and len(jail.addresses) == 1:
                    address = jail.addresses[0].address
                    if "/" not in address or address.endswith("/32"):
                        name = _MACRO_UNSAFE.sub("_", jail.name) + "_jail"
                        self.jail_macros.setdefault(address_of(address) or address, name)

    def interface(self, name: str) -> str:
        return "$ext_if" if name == self.ext_if else conf_word(name)

    def host(self, text: str) -> str:
        negate = "!" if text.startswith("!") else ""
        core = text.removeprefix("!")
        bare = core[:-3] if core.endswith("/32") else core
        if self.ext_address and bare == self.ext_address:
            return f"{negate}$ext_if:0"
        macro = self.jail_macros.get(bare)
        if macro:
            self.used[macro] = bare
            return f"{negate}${macro}"
        return negate + conf_word(core)


def _comment(line: str) -> str:
    """A comment line of pf.conf: a backslash at its end would continue the comment onto the next line."""
    if "\\" in line or any(ord(c) < 32 or ord(c) == 127 for c in line):
        raise UnsafeValueError(f"{line[:40]!r} cannot be written as a pf.conf comment")
    return line


def _rule_line(rule: FirewallRule, addresses: _Addresses) -> str:
    words = [conf_word(rule.action)]
    if rule.direction != "any":
        words.append(conf_word(rule.direction))
    if rule.quick:
        words.append("quick")
    if rule.interface:
        words.append(f"on {addresses.interface(rule.interface)}")
    if rule.protocol != "any":
        words.append(f"proto {conf_word(rule.protocol)}")
    if rule.source:
        words.append(f"from {addresses.host(rule.source)}")
    if rule.destination or rule.port is not None:
        words.append(f"to {addresses.host(rule.destination) if rule.destination else 'any'}")
    if rule.port is not None:
        words.append(f"port {_port(rule.port)}")
    return " ".join(words)


IPFW_RULES = "/etc/ipfw.rules"


def _ipfw_address(value: str | None) -> str:
    """A rule's source or destination as ipfw writes it: ``any``, ``10.1.1.0/24``, ``not 192.168.0.2``."""
    value = (value or "").strip()
    if not value or value == "any":
        return "any"
    return f"not {value[1:]}" if value.startswith("!") else value


def _ipfw_rule_line(number: int, rule: FirewallRule) -> str:
    words = ["add", str(number), "allow" if rule.action == "pass" else "deny"]
    words.append("ip" if rule.protocol == "any" else conf_word(rule.protocol))
    words += ["from", _ipfw_address(rule.source), "to", _ipfw_address(rule.destination)]
    if rule.port is not None:
        words.append(str(rule.port))
    if rule.direction in ("in", "out"):
        words.append(rule.direction)
    if rule.interface:
        words += ["via", conf_word(rule.interface)]
    if rule.action == "pass":
        # keep-state without setup: a connection already open (the deploy's own SSH session) makes its state
        # on its next packet when the rules are reloaded, instead of being cut.
        words.append("keep-state")
    return " ".join(words)


def ipfw_rules(policy: FirewallPolicy, *, host_name: str, natd_interface: str | None = None) -> str:
    """The host's own ipfw rule set (``firewall_type`` names this file): its rules in order, first match decides.

    rc.firewall flushes and adds the loopback rules (100-300), then reads the file. It adds natd's divert only for
    its open and client types, so with natd the file diverts to it first, as those types do (rule 50).
    """
    lines = [
        f"# Managed by jailnet: ipfw rules of host {_comment(host_name)}, in order; the first matching rule decides.",
    ]
    if natd_interface:
        lines.append(f"add 50 divert natd ip4 from any to any via {conf_word(natd_interface)}")
    lines.append("add 900 check-state")
    for position, rule in enumerate(policy.rules):
        if rule.comment:
            lines += [f"# {_comment(line)}" for line in rule.comment.splitlines()]
        lines.append(_ipfw_rule_line(1000 + 10 * position, rule))
    lines.append(f"add 65000 {'deny' if policy.default_block else 'allow'} ip from any to any")
    return "\n".join(lines) + "\n"


def _filter_lines(policy: FirewallPolicy, addresses: _Addresses, antispoof_for: list[str]) -> list[str]:
    lines: list[str] = []
    if policy.antispoof and antispoof_for:
        lines += ["", "# prevent spoofing"] + [f"antispoof for {addresses.interface(n)}" for n in antispoof_for]
    if policy.default_block:
        lines += ["", "# block all by default (best practice)", "block"]
    for rule in policy.rules:
        lines.append("")
        if rule.comment:
            lines += [f"# {_comment(line)}" for line in rule.comment.splitlines()]
        lines.append(_rule_line(rule, addresses))
    return lines


def pf_conf(
    policy: FirewallPolicy | None,
    *,
    ctx: HostContext | None = None,
    translation: list[str] | None = None,
    antispoof_for: list[str] | None = None,
    pot_anchors: bool = False,
) -> str:
    """A pf.conf: macros, ``set skip``, anchors/NAT/redirects (``translation``), then filter rules."""
    policy = policy or FirewallPolicy()
    ext_if = ctx.ext_if if ctx is not None and (translation or ctx.host.firewall) else None
    addresses = _Addresses(ctx, ext_if)
    body: list[str] = []
    if policy.skip_loopback:
        body += ["", "# don't filter on the local loop", "set skip on lo0"]
    if pot_anchors and ctx is not None:
        body += ["", "# pot loads its NAT and redirect rules into these anchors", *_pot_anchor_comments(ctx)]
        body += ["nat-anchor pot-nat", 'rdr-anchor "pot-rdr/*"']
    for line in translation or ():
        body.append(_translate(line, addresses))
    body += _filter_lines(policy, addresses, antispoof_for or [])
    switches = filtered_switches(ctx) if ctx is not None and policy.default_block else []
    if switches:
        body += [
            "",
            "# traffic within the switches (jails, VMs, DHCP and DNS from dnsmasq): filtered once, on the bridge",
            "# (net.link.bridge.pfil_bridge=1, pfil_member=0 in /etc/sysctl.conf.local)",
            *(f"pass quick on {conf_word(name)}" for name in switches),
        ]
    macros = []
    if ext_if and any("$ext_if" in line for line in body):
        macros.append(f'ext_if="{conf_word(ext_if)}"')
    macros += [f'{name}="{conf_word(value)}"' for name, value in addresses.used.items()]
    lines = macros + body
    while lines and lines[0] == "":
        lines.pop(0)
    return "\n".join(lines) + "\n"


def _pot_anchor_comments(ctx: HostContext) -> list[str]:
    """What pot will load into its anchors, for the reader (pot writes these rules itself)."""
    lines = []
    for nat in ctx.host.nat:
        if nat.engine == "pot":
            interface, source = conf_word(nat.interface), conf_word(nat.source or "any")
            lines.append(f"#   pot-nat: nat on {interface} from {source} to any -> ({interface})")
    for redirect in ctx.host.redirects:
        if _is_pot_target(ctx, redirect):
            lines.append(
                f"#   pot-rdr/{conf_word(redirect.target_jail)}: rdr pass on {conf_word(redirect.interface)} "
                f"proto {conf_word(redirect.protocol)} from any to ({conf_word(redirect.interface)}) "
                f"port {redirect.external_port} -> {conf_word(redirect_target(ctx, redirect))} "
                f"port {redirect.target_port}"
            )
    return lines


# translation lines are built with placeholders so the address helper decides on macros
_PLACEHOLDER = re.compile(r"\{(if|host):([^}]*)\}")


def _translate(line: str, addresses: _Addresses) -> str:
    return _PLACEHOLDER.sub(
        lambda m: addresses.interface(m.group(2)) if m.group(1) == "if" else addresses.host(m.group(2)), line
    )


def redirect_target(ctx: HostContext, redirect: PortRedirect) -> str | None:
    """The address a redirect sends traffic to: the target jail's or VM's address, or the given one."""
    if redirect.target_address:
        return redirect.target_address
    if redirect.target_jail:
        jail = ctx.jails.get(redirect.target_jail)
        if jail is None:
            return None
        if jail.type == "vnet":
            return next((address_of(n.address) for n in jail.nics if n.address), None)
        return next((address_of(a.address) for a in jail.addresses), None)
    vm = ctx.vms.get(redirect.target_vm or "")
    if vm is None:
        return None
    for nic in vm.nics:
        if nic.address:
            return address_of(nic.address)
    leases = {lease.mac.lower(): lease.address for d in ctx.host.dhcp for lease in d.static_leases}
    return next((leases[n.mac.lower()] for n in vm.nics if n.mac and n.mac.lower() in leases), None)


def _is_pot_target(ctx: HostContext, redirect: PortRedirect) -> bool:
    jail = ctx.jails.get(redirect.target_jail or "")
    return jail is not None and jail.manager == "pot"


def _pf_translation(ctx: HostContext) -> list[str]:
    host = ctx.host
    lines: list[str] = []
    nats = [n for n in host.nat if n.engine == "pf"]
    if nats:
        lines += ["", "# outbound NAT on the external interface's address"]
        for nat in nats:
            interface = ctx.interfaces.get(nat.interface)
            to = (
                f"({{if:{nat.interface}}})" if interface is not None and interface.dhcp else f"{{if:{nat.interface}}}:0"
            )
            source = f"{{host:{nat.source}}}" if nat.source else "any"
            lines.append(f"nat on {{if:{nat.interface}}} from {source} -> {to}")
    rdrs = [r for r in host.redirects if not _is_pot_target(ctx, r)]
    if rdrs and (host.firewall is None or host.firewall.engine == "pf"):
        lines += ["", "# redirect inbound traffic to jails and VMs"]
        for redirect in rdrs:
            target = redirect_target(ctx, redirect)
            if target is None:  # validation reports it (JN630); an rdr to nowhere is left out
                lines.append(f"# no target address for {conf_word(redirect.protocol)} port {redirect.external_port}")
                continue
            own = ctx.interface_address(redirect.interface)
            to = f"{{host:{own}}}" if own else f"({conf_word(redirect.interface)})"
            port = "" if redirect.target_port == redirect.external_port else f" port {redirect.target_port}"
            lines.append(
                f"rdr on {{if:{redirect.interface}}} proto {conf_word(redirect.protocol)} to {to} "
                f"port {_port(redirect.external_port)} -> {{host:{target}}}{port}"
            )
    return lines


def _antispoof_interfaces(host: Host) -> list[str]:
    """lo0, then loopback, VLAN and physical interfaces with a static address (the article's order)."""
    order = {"loopback": 0, "vlan": 1, "physical": 2}
    addressed = [i for i in host.interfaces if i.address]
    addressed.sort(key=lambda i: order.get(i.kind, 3))
    return ["lo0"] + [i.name for i in addressed]


def uses_pot_anchors(ctx: HostContext) -> bool:
    """pot's pf anchors are needed for pot's public bridge, its NAT, and its exported ports."""
    host = ctx.host
    return (
        any(s.kind == "pot-bridge" for s in host.switches)
        or any(n.engine == "pot" for n in host.nat)
        or any(_is_pot_target(ctx, r) for r in host.redirects)
    )


BRIDGE_SYSCTLS = {"net.link.bridge.pfil_member": "0", "net.link.bridge.pfil_bridge": "1"}


def filtered_switches(ctx: HostContext) -> list[str]:
    """Bridges (our own and vm-bhyve's) with members, when the host's pf blocks by default.

    if_bridge(4) runs pf on every member interface by default (pfil_member=1): with a default ``block`` the
    epairs and taps of jails and VMs drop everything, DHCP requests to dnsmasq too. The host filters on the
    bridge interface instead (pfil_bridge=1, pfil_member=0) and passes the switch's own traffic there.
    """
    policy = ctx.host.firewall
    if policy is None or policy.engine != "pf" or not policy.default_block:
        return []
    used = {n.switch for j in ctx.host.jails for n in j.nics} | {n.switch for v in ctx.host.vms for n in v.nics}
    used |= set(ctx.members_by_switch) | {s.name for s in ctx.host.switches if s.ports}
    return [s.interface_name for s in ctx.host.switches if s.kind in ("bridge", "vm-switch") and s.name in used]


def plan_firewall(plan: HostPlan, ctx: HostContext) -> None:
    """The host's pf (pf.conf) or ipfw/natd, and IP forwarding."""
    host = ctx.host
    engine = host.firewall.engine if host.firewall else None
    pot = uses_pot_anchors(ctx)
    wants_pf = (
        engine == "pf"
        or pot
        or any(n.engine == "pf" for n in host.nat)
        or (engine is None and any(not _is_pot_target(ctx, r) for r in host.redirects))
    )
    natd = [n for n in host.nat if n.engine == "natd"]
    if not (wants_pf or engine == "ipfw" or natd or host.gateway_enable):
        return
    section = plan.section("Firewall, NAT and IP forwarding")
    if engine == "ipfw" or natd:
        section.enable("ipfw")
        if engine == "ipfw" and host.firewall and host.firewall.rules:
            # Rules of its own: rc.firewall loads this file instead of one of its types.
            natd_interface = natd[0].interface if natd else None
            section.file(IPFW_RULES, ipfw_rules(host.firewall, host_name=host.name, natd_interface=natd_interface))
            section.sysrc("firewall_type", IPFW_RULES)
        else:
            section.sysrc("firewall_type", host.firewall.ipfw_type if host.firewall else "open")
    if natd:
        section.enable("natd")
        section.sysrc("natd_interface", natd[0].interface)
        flags = [
            f"-redirect_port {r.protocol} {redirect_target(ctx, r)}:{r.target_port} {r.external_port}"
            for r in host.redirects
            if engine == "ipfw" and redirect_target(ctx, r)
        ]
        if flags:
            section.sysrc("natd_flags", " ".join(flags))
    if host.gateway_enable:
        section.sysrc("gateway_enable", "YES")
    if wants_pf:
        content = pf_conf(
            host.firewall if engine == "pf" else None,
            ctx=ctx,
            translation=_pf_translation(ctx),
            antispoof_for=_antispoof_interfaces(host),
            pot_anchors=pot,
        )
        if engine == "pf" and host.firewall and host.firewall.default_block:
            section.note("Warning: pf blocks by default; keep a console open in case the SSH session drops.")
        if filtered_switches(ctx):
            section.note("pf filters bridged traffic on the bridges, not on every jail's and VM's member interface")
            sysctls = "".join(f"{name}={value}\n" for name, value in BRIDGE_SYSCTLS.items())
            section.file("/etc/sysctl.conf.local", "# if_bridge(4): filter on the bridge, once\n" + sysctls)
            section.cmd("sysctl", *(f"{name}={value}" for name, value in BRIDGE_SYSCTLS.items()))
        section.file("/etc/pf.conf", content)
        section.enable("pf")
        # rc.d/pf's start flushes everything (pfctl -F all), states too: on a re-run, with pf already
        # enabled, that would cut the administrator's SSH session. reload checks and loads the rules only.
        section.run("if service pf status >/dev/null 2>&1; then service pf reload; else service pf start; fi")
    if engine == "ipfw" or natd:
        section.run("service ipfw start")
    if natd:
        section.run("service natd start")
    if host.gateway_enable:
        section.run("sysctl net.inet.ip.forwarding=1")


def jail_pf_conf(jail: Jail) -> str | None:
    """The pf.conf inside a VNET jail (its own stack), or None."""
    if jail.type != "vnet" or jail.firewall is None or jail.firewall.engine != "pf":
        return None
    return pf_conf(jail.firewall)
