"""What the deployed design expects to find on one host, in the names that host uses. Pure.

:func:`expected_host` reads a design snapshot (the deployed revision's) and returns, for a FreeBSD host or
for its lab realisation, the interfaces with their addresses, MTU and vxlan settings, the bridge members
with their PRIVATE flag, the multicast groups to be joined, the NAT and redirect rules and the jails that
must run, each with a reference to the design object it comes from (so the UI can badge it).

FreeBSD names come from the renderer's own derivations (:class:`~topology.render.freebsd.context.HostContext`);
lab names from the lab's model (:func:`~topology.render.lab.network.build_network`), so drift speaks the
same language as the configuration that was pushed. Jail and VM ports of a FreeBSD bridge get their names
at run time (iocage ``vnet0.<jid>``, pot ``p4<hex>``, vm-bhyve ``tapN``), so they are matched by owner,
which the tools write into the interface's description.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from topology import snapshot as s
from topology.render.freebsd.context import HostContext, address_of, members_by_host
from topology.render.freebsd.firewall import redirect_target
from topology.render.freebsd.jails import epair_names
from topology.render.lab.model import LabNetwork, Node, iface
from topology.render.lab.network import build_network

from .catalogue import Target

Owner = tuple[str, str, str | None]  # ("jail", jail, nic name) / ("vm", vm, nic index); None: any nic


@dataclass(frozen=True, slots=True)
class ExpectedVxlan:
    """The vxlan settings of a member interface."""

    vni: int
    local: str | None
    group: str | None  # multicast mode
    remote: str | None  # unicast mode
    port: int


@dataclass(frozen=True, slots=True)
class ExpectedInterface:
    """An interface the design creates or configures, with its IPv4 addresses (CIDR) and MTU when set."""

    name: str
    addresses: tuple[str, ...]
    mtu: int | None
    vxlan: ExpectedVxlan | None
    ref: s.ObjectRef
    managed: bool = True  # created by the design (bridge, vxlan, vlan, clone): a missing one is drift
    # An interface a tool names at run time, found by one of its groups and its address instead: pot's bridge
    # is the ``bridgeN`` in group ``pot`` whose address is POT_GATEWAY.
    located_by: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class ExpectedMember:
    """A bridge member: by interface name, or by owner for jail/VM ports named at run time."""

    bridge: str
    name: str | None
    owner: Owner | None
    private: bool
    ref: s.ObjectRef

    def describe(self) -> str:
        """How a message names this member."""
        if self.name:
            return self.name
        assert self.owner is not None
        kind, name, nic = self.owner
        return f"the port of {kind} {name}" + (f" nic {nic}" if nic else "")


@dataclass(frozen=True, slots=True)
class ExpectedMembership:
    """A multicast group a vxlan interface joins on its underlay interface."""

    interface: str
    group: str
    ref: s.ObjectRef


@dataclass(frozen=True, slots=True)
class ExpectedNat:
    """Outbound NAT behind ``interface`` of ``source`` (None: anything); or a redirect when ``port`` is set."""

    action: str  # nat | rdr | nat-anchor
    interface: str | None
    source: str | None
    ref: s.ObjectRef
    proto: str | None = None
    port: int | None = None
    target: str | None = None
    target_port: int | None = None


@dataclass(frozen=True, slots=True)
class ExpectedJail:
    """A jail that must be running, under the name the host knows it by (``jls`` name; lab: namespace)."""

    name: str
    runtime_name: str
    boot: bool
    ref: s.ObjectRef


@dataclass(frozen=True, slots=True)
class ExpectedHost:
    """Everything drift compares for one host."""

    host: str
    target: Target
    interfaces: tuple[ExpectedInterface, ...]
    members: tuple[ExpectedMember, ...]
    bridges: frozenset[str]
    vxlan_interfaces: frozenset[str]
    memberships: tuple[ExpectedMembership, ...]
    nat: tuple[ExpectedNat, ...]
    jails: tuple[ExpectedJail, ...]
    nat_checked: bool  # False when the host's NAT engine cannot be read back (natd, ipfw)
    ref: s.ObjectRef


def _ref(kind: str, path: str, id: int | None) -> s.ObjectRef:
    return s.ObjectRef(kind, path, id)


def normalise_network(text: str | None) -> str | None:
    """``10.0.0.0/24``, ``10.0.0.5`` -> ``10.0.0.5/32``; None for any/all; the text itself when not an address."""
    if text is None or text in ("any", "all", ""):
        return None
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        return text.strip()


def jail_runtime_name(jail: s.Jail) -> str:
    """The name ``jls`` and ``jexec`` know a jail by: iocage's ``ioc-<name>`` (dots become ``_``), else the name."""
    return f"ioc-{jail.name.replace('.', '_')}" if jail.manager == "iocage" else jail.name


def expected_host(snapshot: s.DesignSnapshot, host_name: str, target: Target) -> ExpectedHost:
    """What ``host_name`` of ``snapshot`` must look like on ``target`` (FreeBSD or its lab namespace)."""
    host = snapshot.host(host_name)
    if host is None:
        raise KeyError(f"no host {host_name!r} in design {snapshot.name!r}")
    if target is Target.LAB:
        return _expected_lab(snapshot, host, build_network(snapshot))
    return _expected_freebsd(snapshot, host)


# --- FreeBSD ---------------------------------------------------------------------------------------------


def _expected_freebsd(snapshot: s.DesignSnapshot, host: s.Host) -> ExpectedHost:
    ctx = HostContext(snapshot.name, host, members_by_host(snapshot).get(host.name, []))
    base = host.name
    interfaces: list[ExpectedInterface] = []
    addresses: dict[str, list[str]] = {}

    def add_address(name: str, cidr: str | None) -> None:
        if cidr:
            value = str(iface(cidr))
            if value not in addresses.setdefault(name, []):
                addresses[name].append(value)

    for i in host.interfaces:
        add_address(i.name, i.address)
    for w in host.switches:
        add_address(w.interface_name, w.address)
    for _, m in ctx.members:
        add_address(m.interface_name, m.address)
    for j in host.jails:
        if j.type == "plain" and not j.inherit:
            for a in j.addresses:
                target = a.interface or ctx.ext_if
                if target:
                    add_address(target, a.address)

    for i in host.interfaces:
        interfaces.append(
            ExpectedInterface(
                i.name, tuple(addresses.get(i.name, [])), i.mtu, None,
                _ref("interface", f"{base}/interfaces/{i.name}", i.id), managed=i.kind != "physical",
            )
        )  # fmt: skip
    members: list[ExpectedMember] = []
    for w in host.switches:
        name = w.interface_name
        ref = _ref("switch", f"{base}/switches/{w.name}", w.id)
        located = ("pot", address_of(w.address) or "") if w.kind == "pot-bridge" and w.address else None
        interfaces.append(ExpectedInterface(name, tuple(addresses.get(name, [])), w.mtu, None, ref, located_by=located))
        for p in w.ports:
            members.append(ExpectedMember(name, p.interface, None, p.private, ref))
    memberships: list[ExpectedMembership] = []
    for seg, m in ctx.members:
        ref = _ref("vxlan-member", f"{base}/vxlan/{seg.name}/{m.interface_name}", m.id)
        group = seg.multicast_group if seg.mode == "multicast" else None
        remote = address_of(m.remote_address) if seg.mode != "multicast" else None
        vxlan = ExpectedVxlan(seg.vni, ctx.local_address(m), group, remote, seg.udp_port)
        interfaces.append(
            ExpectedInterface(m.interface_name, tuple(addresses.get(m.interface_name, [])), seg.mtu, vxlan, ref)
        )
        if m.switch:
            members.append(ExpectedMember(ctx.switch_interface(m.switch), m.interface_name, None, m.private, ref))
        if group:
            memberships.append(ExpectedMembership(m.underlay_interface, group, ref))
    for j in host.jails:
        if j.type != "vnet":
            continue
        for nic in j.nics:
            ref = _ref("jail-nic", f"{base}/jails/{j.name}/nics/{nic.name}", nic.id)
            private = nic.private or ctx.private_members(nic.switch)
            # jail.conf epairs are named by the renderer; iocage's and pot's at run time (matched by owner).
            port_name = epair_names(j, nic)[0] if j.manager == "jail.conf" else None
            owner = ("jail", j.name, nic.name)
            members.append(ExpectedMember(ctx.switch_interface(nic.switch), port_name, owner, private, ref))
    for v in host.vms:
        for index, vnic in enumerate(v.nics):
            ref = _ref("vm-nic", f"{base}/vms/{v.name}/nics/{index}", vnic.id)
            private = vnic.private or ctx.private_members(vnic.switch)
            members.append(
                ExpectedMember(ctx.switch_interface(vnic.switch), None, ("vm", v.name, str(index)), private, ref)
            )

    nat: list[ExpectedNat] = []
    for x in host.nat:
        ref = _ref("nat", f"{base}/nat/{x.interface}", x.id)
        if x.engine == "pf":
            nat.append(ExpectedNat("nat", x.interface, normalise_network(x.source), ref))
        elif x.engine == "pot":
            nat.append(ExpectedNat("nat-anchor", None, None, ref, target="pot-nat"))
    for r in host.redirects:
        jail = ctx.jails.get(r.target_jail or "")
        if jail is not None and jail.manager == "pot":
            continue  # in pot's anchor pot-rdr/<pot>, read with pfctl -a
        target = redirect_target(ctx, r)
        nat.append(
            ExpectedNat("rdr", r.interface, None, _ref("port-redirect", f"{base}/redirects/{r.external_port}", r.id),
                        r.protocol, r.external_port, address_of(target), r.target_port)
        )  # fmt: skip
    jails = tuple(
        ExpectedJail(j.name, jail_runtime_name(j), j.boot, _ref("jail", f"{base}/jails/{j.name}", j.id))
        for j in host.jails
    )
    return ExpectedHost(
        host=host.name,
        target=Target.FREEBSD,
        interfaces=tuple(interfaces),
        members=tuple(members),
        bridges=frozenset(w.interface_name for w in host.switches),
        vxlan_interfaces=frozenset(m.interface_name for _, m in ctx.members),
        memberships=tuple(memberships),
        nat=tuple(nat),
        jails=jails,
        nat_checked=not any(x.engine == "natd" for x in host.nat),
        ref=_ref("host", base, host.id),
    )


# --- lab ----------------------------------------------------------------------------------------------------


def _expected_lab(snapshot: s.DesignSnapshot, host: s.Host, net: LabNetwork) -> ExpectedHost:
    base = host.name
    node = net.nodes[host.name]
    eff = net.effective_iface
    refs: dict[str, s.ObjectRef] = {}
    mtus: dict[str, int | None] = {}
    managed: dict[str, bool] = {}
    for i in host.interfaces:
        refs[i.name] = _ref("interface", f"{base}/interfaces/{i.name}", i.id)
        mtus[i.name] = i.mtu
        managed[i.name] = i.kind != "physical"
    for w in host.switches:
        refs[w.interface_name] = _ref("switch", f"{base}/switches/{w.name}", w.id)
        mtus[w.interface_name] = w.mtu
        managed[w.interface_name] = True
    members: list[ExpectedMember] = []
    memberships: list[ExpectedMembership] = []
    vxlans: dict[str, ExpectedVxlan] = {}
    hub_devices: set[tuple[str, int, str]] = set()
    for seg, m in net.vxlan_members.get(host.name, []):
        ref = _ref("vxlan-member", f"{base}/vxlan/{seg.name}/{m.interface_name}", m.id)
        key = (seg.name, seg.udp_port, m.underlay_interface)
        if seg.mode != "multicast" and key in hub_devices:
            continue  # a hub's further peers are FDB entries of the first device in the lab
        if seg.mode != "multicast":
            hub_devices.add(key)
        underlay = next((i for i in host.interfaces if i.name == m.underlay_interface), None)
        local = m.local_address or (address_of(underlay.address) if underlay else None)
        group = seg.multicast_group if seg.mode == "multicast" else None
        remote = address_of(m.remote_address) if seg.mode != "multicast" else None
        vxlans[m.interface_name] = ExpectedVxlan(seg.vni, address_of(local), group, remote, seg.udp_port)
        refs.setdefault(m.interface_name, ref)
        mtus[m.interface_name] = seg.mtu
        managed[m.interface_name] = True
        if m.switch:
            members.append(
                ExpectedMember(eff.get((host.name, m.switch), m.switch), m.interface_name, None, m.private, ref)
            )
        if group:
            memberships.append(
                ExpectedMembership(eff.get((host.name, m.underlay_interface), m.underlay_interface), group, ref)
            )
    for w in host.switches:
        for p in w.ports:
            members.append(ExpectedMember(w.interface_name, p.interface, None, p.private, refs[w.interface_name]))
    jails_by_name = {j.name: j for j in host.jails}
    vms_by_name = {v.name: v for v in host.vms}
    jails: list[ExpectedJail] = []
    for g in net.guests[host.name]:
        for index, n in enumerate(g.nics):
            if g.kind == "vnet-jail":
                jail = jails_by_name[g.name]
                nic = jail.nics[index]
                ref = _ref("jail-nic", f"{base}/jails/{g.name}/nics/{nic.name}", nic.id)
            else:
                vm = vms_by_name[g.name]
                ref = _ref("vm-nic", f"{base}/vms/{g.name}/nics/{index}", vm.nics[index].id)
            members.append(ExpectedMember(n.switch_iface, n.host_side, None, n.isolated, ref))
            refs.setdefault(n.host_side, ref)
            mtus[n.host_side] = n.mtu
            managed[n.host_side] = True
        kind = "jail" if g.kind == "vnet-jail" else "vm"
        item = jails_by_name.get(g.name) if kind == "jail" else vms_by_name.get(g.name)
        item_id = item.id if item is not None else None
        boot = bool(item.boot) if item is not None else False
        jails.append(ExpectedJail(g.name, g.netns, boot, _ref(kind, f"{base}/{kind}s/{g.name}", item_id)))
    interfaces: list[ExpectedInterface] = []
    seen: set[str] = set()
    for node_iface in node.ifaces:
        name = node_iface.name
        seen.add(name)
        interfaces.append(
            ExpectedInterface(
                name, tuple(str(a) for a in node_iface.addresses), mtus.get(name), vxlans.get(name),
                refs.get(name, _ref("host", base, host.id)), managed=managed.get(name, False),
            )
        )  # fmt: skip
    for name, ref in refs.items():
        if name not in seen and (name in vxlans or managed.get(name)):
            interfaces.append(ExpectedInterface(name, (), mtus.get(name), vxlans.get(name), ref))
    nat = [
        ExpectedNat("nat", egress, str(source) if source else None, _ref("nat", f"{base}/nat/{x.interface}", x.id))
        for (egress, source), x in zip(node.nat, host.nat, strict=True)
    ]
    for (in_iface, proto, external, target, port), r in zip(node.redirects, _resolvable(host, node), strict=True):
        nat.append(
            ExpectedNat("rdr", in_iface, None, _ref("port-redirect", f"{base}/redirects/{r.external_port}", r.id),
                        proto, external, str(target), port)
        )  # fmt: skip
    return ExpectedHost(
        host=host.name,
        target=Target.LAB,
        interfaces=tuple(interfaces),
        members=tuple(members),
        bridges=frozenset(w.interface_name for w in host.switches),
        vxlan_interfaces=frozenset(vxlans),
        memberships=tuple(memberships),
        nat=tuple(nat),
        jails=tuple(jails),
        nat_checked=True,
        ref=_ref("host", base, host.id),
    )


def _resolvable(host: s.Host, node: Node) -> list[s.PortRedirect]:
    """The redirects the lab realised, in order (those whose target it could resolve)."""
    redirects = node.redirects
    if len(redirects) == len(host.redirects):
        return list(host.redirects)
    # Unresolvable targets were left out by the lab model: pair by (interface, protocol, external port).
    by_key = {(r.protocol, r.external_port): r for r in host.redirects}
    return [by_key[(proto, external)] for _, proto, external, _, _ in redirects]
