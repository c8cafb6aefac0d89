"""Render a design as Linux lab configuration: per host, files and argv commands; plus the lab's fabric. Pure.

The output is data (:class:`LabPlan`): the lab executor runs ``fabric`` locally as root (namespaces, the
underlay and management cabling that crosses namespaces, the internet stub), then pushes each
:class:`HostPlan` over SSH to the host's own ``sshd`` and runs its commands there, inside the host namespace.
Nested namespaces of VNET jails and VMs are created from the host, the way a jailhost creates its jails.

Same snapshot and state directory, same plan: no I/O, no clock, no randomness (MACs are hashes of names).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from topology import snapshot as s

from .helper import HELPER_SOURCE, UDHCPC_SCRIPT
from .network import (
    INTERNET_PORT,
    INTERNET_SERVER,
    MGMT_GATEWAY,
    MGMT_NETWORK,
    SERVICE_PORT,
    Firewall,
    LabNetwork,
    build_network,
    host_forwards,
    iface,
)

NFT_TABLE = "jailnet_lab"  # one table per namespace; deleting the namespace deletes it too


@dataclass(frozen=True)
class LabCommand:
    """One argv to run. ``may_fail``: a failure is reported as a warning, not a failed ``up``."""

    argv: tuple[str, ...]
    may_fail: bool = False


@dataclass(frozen=True)
class LabFile:
    """A file to write (atomically) before the commands run."""

    path: str
    content: str
    mode: int = 0o644


@dataclass(frozen=True)
class HostPlan:
    """What one lab host gets over SSH."""

    name: str
    netns: str
    mgmt_address: str
    files: tuple[LabFile, ...]
    commands: tuple[LabCommand, ...]
    notes: tuple[str, ...]
    pidfiles: tuple[str, ...]
    listeners: tuple[str, ...] = ()  # NETNS,ADDR:PORT,BANNER served for this host by the lab's listener


@dataclass(frozen=True)
class LabPlan:
    """The whole lab of a design."""

    design: str
    lab_id: str
    state_dir: str
    namespaces: tuple[str, ...]
    fabric: tuple[LabCommand, ...]  # run first, in order (locally, as root)
    cables: tuple[tuple[LabCommand, ...], ...]  # then these lists, concurrently (one per host)
    internet_files: tuple[LabFile, ...]
    internet: tuple[LabCommand, ...]
    hosts: tuple[HostPlan, ...]
    notes: tuple[str, ...]
    pidfiles: tuple[str, ...]
    # Last, locally: one TCP listener daemon serving every jail, VM, host alias and the stub's server. One
    # process for the whole lab instead of one per host: each costs a Python start-up, and the listener only
    # needs the namespaces to exist (it binds each socket inside its namespace).
    listener_files: tuple[LabFile, ...] = ()
    listener: tuple[LabCommand, ...] = ()


def _c(*argv: str, may_fail: bool = False) -> LabCommand:
    return LabCommand(tuple(argv), may_fail)


def _on_link(gateway: str, cidrs: list[str]) -> bool:
    """Whether ``gateway`` lies in the subnet of one of ``cidrs`` (other than being that address itself).

    A route via an on-link gateway, added after the addresses, cannot fail; only then may it share its
    namespace's ``ip -batch`` (a route via anything else may fail and is then only a warning).
    """
    try:
        via = ipaddress.IPv4Address(gateway)
        return any(via in iface(c).network and via != iface(c).ip for c in cidrs)
    except ValueError:
        return False


def _in(netns: str, *argv: str) -> tuple[str, ...]:
    """Run ``argv`` in ``netns`` without a new mount namespace (``ip netns exec`` would make one)."""
    return ("nsenter", f"--net=/run/netns/{netns}", *argv)


def render_lab(
    snapshot: s.DesignSnapshot,
    *,
    state_dir: str,
    loopback_kind: str = "dummy",
    vlan_kind: str = "vlan",
    network: LabNetwork | None = None,
) -> LabPlan:
    """The lab plan of ``snapshot``; ``state_dir`` is where the lab keeps files (``var/lab/<design>``).

    ``loopback_kind`` is the Linux link type of cloned loopbacks (``lo1``): ``dummy``, or ``ifb`` on kernels
    built without the dummy driver (the executor probes which one the machine has). ``vlan_kind``: ``vlan``
    (802.1Q sub-interfaces tagging on their parent's LAN), or ``veth`` on kernels without 802.1Q: each VLAN
    interface is then a link of its own into a bridge of that VLAN (same L2 segments, no tags on the wire).
    ``network``: the snapshot's :func:`build_network`, when the caller has it already (it is the same for the
    same snapshot).
    """
    snapshot = s.resolve_releases(snapshot)
    net = network if network is not None else build_network(snapshot)
    fabric, cables = _fabric(net, state_dir, vlan_kind)
    internet_files, internet = _internet(net, state_dir)
    hosts = tuple(_host(net, h, state_dir, loopback_kind, vlan_kind) for h in snapshot.hosts)
    notes = tuple(net.notes) + tuple(n for h in hosts for n in h.notes)
    pidfiles = tuple(p for h in hosts for p in h.pidfiles)
    specs = [spec for h in hosts for spec in h.listeners]
    if internet:
        specs.append(f"{net.internet_netns},{INTERNET_SERVER.ip}:{INTERNET_PORT},internet")
    # The helper serves the listener and the check's TCP probes; the lab's namespaces share this machine's
    # filesystem, so one copy serves every host (pushing it to each would cost each host an upload).
    helper = f"{state_dir}/helper.py"
    listener_files: tuple[LabFile, ...] = (LabFile(helper, HELPER_SOURCE, 0o755),)
    listener: tuple[LabCommand, ...] = ()
    if specs:
        spec_file, pid = f"{state_dir}/listeners.txt", f"{state_dir}/run/listeners.pid"
        listener_files += (LabFile(spec_file, "".join(f"{x}\n" for x in specs)),)
        # Started inside the management namespace, so that teardown finds it among the lab's processes.
        listener = (_c(*_in(net.mgmt_netns, "python3", "-I", "-S", helper, "listen", "--pidfile", pid,
                            "--spec-file", spec_file)),)  # fmt: skip
        pidfiles += (pid,)
    return LabPlan(
        design=snapshot.name,
        lab_id=net.lab_id,
        state_dir=state_dir,
        namespaces=tuple(net.all_netns()),
        fabric=fabric,
        cables=cables,
        internet_files=internet_files,
        internet=internet,
        hosts=hosts,
        notes=notes,
        pidfiles=pidfiles,
        listener_files=listener_files,
        listener=listener,
    )


def _fabric(
    net: LabNetwork, state_dir: str, vlan_kind: str = "vlan"
) -> tuple[tuple[LabCommand, ...], tuple[tuple[LabCommand, ...], ...]]:
    """Namespaces, the management bridge and the underlay LANs: everything that crosses namespaces.

    Returns the commands to run first, in order, then one command list per host (its end of the management
    cable), which do not depend on each other and may run concurrently. Commands are grouped by the namespace
    they act in (all namespaces and veth pairs from the root namespace, then the management bridge, then the
    underlay), so that the executor can hand each group to one ``ip -batch`` process.
    """
    under, mgmt = net.underlay_netns, net.mgmt_netns
    host_ns = [net.host_netns[h] for h in net.hosts]
    # Root namespace: every namespace, then every veth pair, each end created directly in its namespace.
    first = [_c("ip", "netns", "add", ns) for ns in [under, mgmt, *host_ns]]
    mgmt_ports: list[str] = []
    for index, h in enumerate(net.hosts):
        port = f"m{index}"
        mgmt_ports.append(port)
        first.append(
            _c("ip", "link", "add", "mgmt0", "netns", net.host_netns[h], "type", "veth", "peer", "name", port,
               "netns", mgmt)
        )  # fmt: skip
    lan_ports: list[tuple[str, str]] = []  # (underlay end, its LAN bridge)
    cabled = dict(net.lans)
    if vlan_kind == "veth":
        cabled.update(net.vlan_lans)
    for lan, members in cabled.items():
        for h, ifname in members:
            peer = f"u{len(lan_ports)}"  # the underlay end; a counter keeps names unique and short
            lan_ports.append((peer, lan))
            first.append(
                _c("ip", "link", "add", ifname, "netns", net.host_netns[h], "type", "veth", "peer", "name", peer,
                   "netns", under)
            )  # fmt: skip
    # Management: the lab's SSH client connects from inside `mgmt`; host ports are isolated so hosts cannot
    # talk to each other over it, only to the management namespace.
    first += [
        _c("ip", "-n", mgmt, "link", "set", "lo", "up"),
        _c("ip", "-n", mgmt, "link", "add", "br-mgmt", "type", "bridge"),
        _c("ip", "-n", mgmt, "addr", "add", str(MGMT_GATEWAY), "dev", "br-mgmt"),
        _c("ip", "-n", mgmt, "link", "set", "br-mgmt", "up"),
        # Acknowledge at once on the management path: sshd (Nagle on, as for any non-interactive session)
        # holds a command's last packets until the previous ones are acknowledged, and a delayed ACK would
        # add 40 ms to every command the lab runs.
        _c(*f"ip -n {mgmt} route replace {MGMT_NETWORK} dev br-mgmt proto kernel scope link".split(),
           *f"src {MGMT_GATEWAY.ip} quickack 1".split()),
    ]  # fmt: skip
    for port in mgmt_ports:
        first += [
            _c("ip", "-n", mgmt, "link", "set", port, "master", "br-mgmt"),
            _c("ip", "-n", mgmt, "link", "set", port, "type", "bridge_slave", "isolated", "on"),
            _c("ip", "-n", mgmt, "link", "set", port, "up"),
        ]
    # Underlay: one bridge per LAN; every physical interface is a veth whose other end is a bridge port.
    first.append(_c("ip", "-n", under, "link", "set", "lo", "up"))
    for lan in cabled:
        first += [
            _c("ip", "-n", under, "link", "add", lan, "type", "bridge", "mcast_snooping", "0"),
            _c("ip", "-n", under, "link", "set", lan, "up"),
        ]
    for peer, lan in lan_ports:
        first += [
            _c("ip", "-n", under, "link", "set", peer, "master", lan),
            _c("ip", "-n", under, "link", "set", peer, "up"),
        ]
    first.append(_c("mkdir", "-p", f"{state_dir}/run", *(f"{state_dir}/hosts/{h}/run" for h in net.hosts)))
    # Each host's end of its management cable (the host's own interfaces are configured over SSH).
    cables = tuple(
        (
            _c("ip", "-n", net.host_netns[h], "link", "set", "lo", "up"),
            _c("ip", "-n", net.host_netns[h], "addr", "add", str(net.mgmt_address[h]), "dev", "mgmt0"),
            _c("ip", "-n", net.host_netns[h], "link", "set", "mgmt0", "up"),
        )
        for h in net.hosts
    )
    return tuple(first), cables


def _internet(net: LabNetwork, state_dir: str) -> tuple[tuple[LabFile, ...], tuple[LabCommand, ...]]:
    """The stub internet: a namespace on each uplink LAN, a server address and a TCP listener."""
    if not net.uplinks:
        return (), ()
    ns, under = net.internet_netns, net.underlay_netns
    base = f"{state_dir}/internet"
    files: tuple[LabFile, ...] = ()  # its server is the lab's listener; the check's probes use the lab's helper
    # Grouped by namespace (root, underlay, stub) so that each group is one `ip -batch` process.
    peers = [f"i{n}{up.lan}"[:15] for n, up in enumerate(net.uplinks)]
    cmds = [_c("mkdir", "-p", f"{base}/run"), _c("ip", "netns", "add", ns)]
    for peer, up in zip(peers, net.uplinks, strict=True):
        cmds.append(
            _c("ip", "link", "add", up.stub_iface, "netns", ns, "type", "veth", "peer", "name", peer, "netns", under)
        )
    for peer, up in zip(peers, net.uplinks, strict=True):
        cmds += [
            _c("ip", "-n", under, "link", "set", peer, "master", up.lan),
            _c("ip", "-n", under, "link", "set", peer, "up"),
        ]
    cmds.append(_c("ip", "-n", ns, "link", "set", "lo", "up"))
    for up in net.uplinks:
        cmds += [
            _c("ip", "-n", ns, "addr", "add", str(up.stub_address), "dev", up.stub_iface),
            _c("ip", "-n", ns, "link", "set", up.stub_iface, "up"),
        ]
    # Its server at INTERNET_SERVER:INTERNET_PORT is served by the lab's listener (see `render_lab`).
    cmds.append(_c("ip", "-n", ns, "addr", "add", str(INTERNET_SERVER), "dev", "lo"))  # any address on lo is local
    return files, tuple(cmds)


def _host(net: LabNetwork, h: s.Host, state_dir: str, loopback_kind: str, vlan_kind: str = "vlan") -> HostPlan:
    base = f"{state_dir}/hosts/{h.name}"
    files: list[LabFile] = []
    cmds: list[LabCommand] = []
    notes: list[str] = []
    pidfiles: list[str] = []
    eff = net.effective_iface
    forwards = host_forwards(h)
    if forwards and not h.gateway_enable:
        notes.append(f"{h.name}: IPv4 forwarding enabled for its NAT/redirect rules (gateway_enable is off)")
    # One sysctl process for all keys. FreeBSD has no reverse-path filter by default; Linux's would drop
    # asymmetric (but valid) paths. With br_netfilter, Linux would filter traffic between members of one
    # bridge with the host's firewall; the expected matrix (and FreeBSD's pf without pfil_member) does not.
    # -e: that last key only exists when br_netfilter is loaded (the others exist in every namespace).
    cmds.append(
        _c("sysctl", "-q", "-e", "-w", f"net.ipv4.ip_forward={int(forwards)}", "net.ipv4.conf.all.rp_filter=0",
           "net.ipv4.conf.default.rp_filter=0", "net.ipv4.conf.all.send_redirects=0",
           "net.bridge.bridge-nf-call-iptables=0")
    )  # fmt: skip
    addresses: list[tuple[str, str]] = []  # (linux iface, CIDR), in order
    listeners: list[str] = []  # served by the lab's listener daemon: NETNS,ADDR:PORT,BANNER

    # Interfaces: physical ends exist (cabled by the fabric); clone loopbacks and VLANs here.
    for i in h.interfaces:
        if i.kind == "loopback":
            cmds.append(_c("ip", "link", "add", i.name, "type", loopback_kind))
        elif i.kind == "vlan" and vlan_kind == "veth":
            notes.append(
                f"{h.name}: {i.name} (VLAN {i.vlan_tag} on {i.parent}) is a link of its own into that VLAN's "
                "segment: this kernel has no 802.1Q, so no tags on the wire"
            )
        elif i.kind == "vlan":
            cmds.append(
                _c("ip", "link", "add", "link", i.parent or "", "name", i.name, "type", "vlan", "id", str(i.vlan_tag))
            )
        if i.mtu:
            cmds.append(_c("ip", "link", "set", i.name, "mtu", str(i.mtu)))
        cmds.append(_c("ip", "link", "set", i.name, "up"))
        if i.address:
            addresses.append((eff[(h.name, i.name)], str(iface(i.address))))
        elif i.dhcp:
            uplink = next((u for u in net.uplinks if u.host == h.name and u.host_iface == i.name), None)
            if uplink is not None:
                addresses.append((i.name, str(uplink.host_address)))
            else:
                notes.append(f"{h.name}: DHCP client on {i.name}: not emulated (no address in the lab)")
    for w in h.switches:
        cmds.append(_c("ip", "link", "add", w.interface_name, "type", "bridge"))
        if w.mtu:
            cmds.append(_c("ip", "link", "set", w.interface_name, "mtu", str(w.mtu)))
        cmds.append(_c("ip", "link", "set", w.interface_name, "up"))
        if w.address:
            addresses.append((w.interface_name, str(iface(w.address))))
        for p in w.ports:
            cmds.append(_c("ip", "link", "set", p.interface, "master", w.interface_name))
            if p.private:
                cmds.append(_c("ip", "link", "set", p.interface, "type", "bridge_slave", "isolated", "on"))
    iface_addr = {i.name: i.address for i in h.interfaces}
    first_unicast: dict[tuple[str, int, str], str] = {}  # (segment, udp port, underlay) -> Linux device
    fdb: list[LabCommand] = []  # after all devices exist: one `bridge -batch` instead of one process each
    for seg, m in net.vxlan_members.get(h.name, []):
        local = m.local_address or iface_addr.get(m.underlay_interface)
        remote = m.remote_address.split("/")[0] if m.remote_address else None
        hub_key = (seg.name, seg.udp_port, m.underlay_interface)
        if seg.mode != "multicast" and remote and hub_key in first_unicast:
            # Linux allows one vxlan device per VNI and local endpoint; a hub's further peers become
            # head-end replication entries on the first device (FreeBSD uses one vxlan(4) per peer).
            device = first_unicast[hub_key]
            fdb.append(_c("bridge", "fdb", "append", "00:00:00:00:00:00", "dev", device, "dst", remote))
            notes.append(f"{h.name}: {m.interface_name} (peer {remote}) is an FDB entry of {device} in the lab")
            if m.switch:
                # The bridge must send frames from one peer back out of the same device to the others.
                cmds.append(_c("ip", "link", "set", device, "type", "bridge_slave", "hairpin", "on"))
            if m.address:
                addresses.append((eff[(h.name, m.interface_name)], str(iface(m.address))))
            continue
        argv = ["ip", "link", "add", m.interface_name, "type", "vxlan", "id", str(seg.vni)]
        if seg.mode == "multicast" and seg.multicast_group:
            argv += ["group", seg.multicast_group, "dev", m.underlay_interface]
        elif remote:
            first_unicast[hub_key] = m.interface_name
            argv += ["dev", m.underlay_interface]
        if local:
            argv += ["local", local.split("/")[0]]
        argv += ["dstport", str(seg.udp_port)]
        cmds.append(_c(*argv))
        if seg.mode != "multicast" and remote:
            fdb.append(_c("bridge", "fdb", "append", "00:00:00:00:00:00", "dev", m.interface_name, "dst", remote))
        cmds.append(_c("ip", "link", "set", m.interface_name, "mtu", str(seg.mtu)))
        if m.switch:
            switch_iface = eff.get((h.name, m.switch), m.switch)
            cmds.append(_c("ip", "link", "set", m.interface_name, "master", switch_iface))
            if m.private:
                cmds.append(_c("ip", "link", "set", m.interface_name, "type", "bridge_slave", "isolated", "on"))
            if seg.mode != "multicast":
                # A unicast hub reflects a spoke's broadcasts back to it; a bridge learning from the vxlan port
                # would then move the spoke's own local MACs onto the tunnel. Every remote MAC is reached
                # through the one peer anyway, so flooding there costs nothing.
                cmds.append(_c("ip", "link", "set", m.interface_name, "type", "bridge_slave", "learning", "off"))
        cmds.append(_c("ip", "link", "set", m.interface_name, "up"))
        if m.address:
            addresses.append((eff[(h.name, m.interface_name)], str(iface(m.address))))
        if seg.mode == "multicast" and seg.multicast_group and m.group_route:
            cmds.append(_c("ip", "route", "replace", f"{seg.multicast_group}/32", "dev", m.underlay_interface))

    cmds += fdb

    # Plain jails: their aliases on the host, and a listener bound to them.
    for j in h.jails:
        if j.type != "plain" or j.inherit:
            continue
        bound = []
        for a in j.addresses:
            target = a.interface or next((i.name for i in h.interfaces if i.kind == "physical" and i.address), None)
            if target is None:
                notes.append(f"{h.name}/{j.name}: no interface for {a.address}; not emulated")
                continue
            address = iface(a.address)
            linux_iface = eff.get((h.name, target), target)
            if (linux_iface, str(address)) not in addresses and not any(
                x[0] == linux_iface and iface(x[1]).ip == address.ip for x in addresses
            ):
                addresses.append((linux_iface, str(address)))
            bound.append(str(address.ip))
        ports = sorted({SERVICE_PORT} | {x.target_port for x in h.redirects if x.target_jail == j.name})
        listeners += [f"{net.host_netns[h.name]},{a}:{p},{h.name}/{j.name}" for a in bound for p in ports]

    for linux_iface, cidr in addresses:
        cmds.append(_c("ip", "addr", "add", cidr, "dev", linux_iface))

    # VNET jails and VMs: a namespace each, epair/tap = veth with the host end on the switch. The host's
    # side of every guest first (these run in the host namespace, with the commands above: one `ip -batch`),
    # then each guest's side (one `ip -n GUEST -batch` per guest).
    for g in net.guests[h.name]:
        cmds.append(_c("ip", "netns", "add", g.netns))
        for n in g.nics:
            cmds += [
                _c("ip", "link", "add", n.host_side, "type", "veth", "peer", "name", n.guest_side, "netns", g.netns),
                _c("ip", "link", "set", n.host_side, "master", n.switch_iface),
            ]
            if n.isolated:
                cmds.append(_c("ip", "link", "set", n.host_side, "type", "bridge_slave", "isolated", "on"))
            if n.mtu:
                cmds.append(_c("ip", "link", "set", n.host_side, "mtu", str(n.mtu)))
            cmds.append(_c("ip", "link", "set", n.host_side, "up"))

    for r in h.static_routes:
        dest = r.destination if "/" in r.destination else f"{r.destination}/32"
        if r.gateway:
            cmds.append(_c("ip", "route", "replace", dest, "via", r.gateway, may_fail=True))
        else:
            cmds.append(
                _c("ip", "route", "replace", dest, "dev", eff.get((h.name, r.interface or ""), r.interface or ""))
            )
    default = h.default_router
    for up in net.uplinks:
        if up.host == h.name and up.default_route_added:
            default = str(up.stub_address.ip)
    if default:
        on_link = _on_link(default, [cidr for _, cidr in addresses])
        cmds.append(_c("ip", "route", "replace", "default", "via", default, may_fail=not on_link))

    for g in net.guests[h.name]:
        cmds.append(_c("ip", "-n", g.netns, "link", "set", "lo", "up"))
        for n in g.nics:
            if n.mtu:
                cmds.append(_c("ip", "-n", g.netns, "link", "set", n.guest_side, "mtu", str(n.mtu)))
            cmds += [
                _c("ip", "-n", g.netns, "link", "set", n.guest_side, "address", n.mac),
                _c("ip", "-n", g.netns, "link", "set", n.guest_side, "up"),
            ]
            if n.address:
                cmds.append(_c("ip", "-n", g.netns, "addr", "add", str(n.address), "dev", n.guest_side))
        if g.default_router:
            on_link = _on_link(g.default_router, [str(n.address) for n in g.nics if n.address])
            cmds.append(
                _c("ip", "-n", g.netns, "route", "replace", "default", "via", g.default_router, may_fail=not on_link)
            )
        is_jail = g.kind == "vnet-jail"
        ports = sorted(
            {SERVICE_PORT}
            | {x.target_port for x in h.redirects if (x.target_jail if is_jail else x.target_vm) == g.name}
        )
        listeners += [f"{g.netns},0.0.0.0:{p},{h.name}/{g.name}" for p in ports]

    # NAT, redirects and the firewall: nftables, one table per namespace.
    for g in net.guests[h.name]:
        firewall = net.nodes[f"{h.name}/{g.name}"].firewall
        if firewall is not None:
            path = f"{base}/nftables-{g.name}.nft"
            table = [f"table ip {NFT_TABLE} {{", *_nft_filter(firewall, management=None), "}", ""]
            files.append(LabFile(path, "\n".join(table)))
            cmds.append(_c(*_in(g.netns, "nft", "-f", path)))
    if h.nat or h.redirects or net.nodes[h.name].firewall is not None:
        path = f"{base}/nftables.nft"
        files.append(LabFile(path, _nft(net, h)))
        cmds.append(_c("nft", "-f", path))

    # DHCP: dnsmasq on the switch, then the guests' clients (busybox udhcpc, bounded: 5 tries of 1 s).
    if h.dhcp:
        files.append(LabFile(f"{base}/udhcpc.sh", UDHCPC_SCRIPT, 0o755))
    for d in h.dhcp:
        switch = next((w for w in h.switches if w.name == d.switch), None)
        if switch is None or not switch.address:
            notes.append(f"{h.name}: DHCP on {d.switch} needs the switch's address; not emulated")
            continue
        conf = f"{base}/dnsmasq-{d.switch}.conf"
        pid = f"{base}/run/dnsmasq-{d.switch}.pid"
        pidfiles.append(pid)
        files.append(LabFile(conf, _dnsmasq(d, switch, base, pid)))
        cmds.append(_c("dnsmasq", f"--conf-file={conf}"))
        notes.append(f"{h.name}: dnsmasq on {switch.interface_name} serves DHCP only (its DNS is not emulated)")
    for g in net.guests[h.name]:
        for n in g.nics:
            if n.dhcp and not n.address:
                cmds.append(
                    _c(*_in(g.netns, "busybox", "udhcpc", "-i", n.guest_side, "-n", "-q", "-t", "5", "-T", "1",
                            "-A", "1", "-s", f"{base}/udhcpc.sh"), may_fail=True)
                )  # fmt: skip

    notes += _not_emulated(h)
    return HostPlan(
        name=h.name,
        netns=net.host_netns[h.name],
        mgmt_address=str(net.mgmt_address[h.name].ip),
        files=tuple(files),
        commands=tuple(cmds),
        notes=tuple(notes),
        pidfiles=tuple(pidfiles),
        listeners=tuple(listeners),
    )


def _nft(net: LabNetwork, h: s.Host) -> str:
    """pf ``nat``/``rdr`` (or natd, pot's anchors) and the host's firewall as one nftables table."""
    eff = net.effective_iface
    node = net.nodes[h.name]
    lines = [f"table ip {NFT_TABLE} {{", f"  # {h.name}: NAT, port redirects and firewall of the design"]
    if h.redirects:
        lines += ["  chain prerouting {", "    type nat hook prerouting priority dstnat; policy accept;"]
        for iface_name, protocol, external, target, port in node.redirects:
            lines.append(f'    iifname "{iface_name}" {protocol} dport {external} dnat to {target}:{port}')
        lines.append("  }")
    if h.nat:
        lines += ["  chain postrouting {", "    type nat hook postrouting priority srcnat; policy accept;"]
        for x in h.nat:
            match = f" ip saddr {x.source}" if x.source else ""
            lines.append(f'    oifname "{eff.get((h.name, x.interface), x.interface)}"{match} masquerade  # {x.engine}')
        lines.append("  }")
    if node.firewall is not None:
        lines += _nft_filter(node.firewall, management="mgmt0")
    lines += ["}", ""]
    return "\n".join(lines)


def _nft_filter(firewall: Firewall, *, management: str | None) -> list[str]:
    """pf filtering in nftables: ``pf_in``/``pf_out`` decide (``return`` = pass), the hooks call them.

    pf's last-match rule is kept by listing quick rules first in order, then the others last to first, each
    ending the evaluation; the default comes last. Established connections pass (pf keeps state).
    """

    def chain(direction: str) -> list[str]:
        relevant = [r for r in firewall.rules if r.direction in ("any", direction)]
        ordered = [r for r in relevant if r.quick] + [r for r in reversed(relevant) if not r.quick]
        out = [f"  chain pf_{direction} {{"]
        for r in ordered:
            match = []
            if r.iface:
                match.append(f'{"iifname" if direction == "in" else "oifname"} "{r.iface}"')
            if r.source:
                match.append(f"ip saddr {r.source.nft()}")
            if r.destination:
                match.append(f"ip daddr {r.destination.nft()}")
            if r.protocol != "any":
                match.append(f"meta l4proto {r.protocol}")
            if r.port is not None:
                match.append(
                    f"th dport {r.port}" if r.protocol != "any" else f"meta l4proto {{ tcp, udp }} th dport {r.port}"
                )
            out.append(f"    {' '.join(match)} {'return' if r.action == 'pass' else 'drop'}".replace("     ", "    "))
        out += [f"    {'drop' if firewall.default_block else 'return'}", "  }"]
        return out

    lines = chain("in") + chain("out")
    keep = "    ct state established,related accept"
    lab_path = [f'    iifname "{management}" accept  # the lab\'s own management path'] if management else []
    lab_path_out = [f'    oifname "{management}" accept'] if management else []
    lines += ["  chain input {", "    type filter hook input priority filter; policy accept;", keep,
              '    iifname "lo" accept', *lab_path, "    jump pf_in", "  }"]  # fmt: skip
    # Forwarded connections are decided on the way in: pf's states float across interfaces.
    lines += ["  chain forward {", "    type filter hook forward priority filter; policy accept;", keep,
              "    jump pf_in", "  }"]  # fmt: skip
    lines += ["  chain output {", "    type filter hook output priority filter; policy accept;", keep,
              '    oifname "lo" accept', *lab_path_out, "    jump pf_out", "  }"]  # fmt: skip
    return lines


def _dnsmasq(d: s.DhcpService, switch: s.Switch, base: str, pid: str) -> str:
    address = iface(switch.address or "")
    lines = [
        f"# dnsmasq for switch {switch.name} (jailnet lab)",
        "port=0",  # DHCP only: no DNS server, and no forwarding of queries anywhere
        f"interface={switch.interface_name}",
        "bind-interfaces",
        f"listen-address={address.ip}",
        "dhcp-authoritative",
        "user=root",
        f"pid-file={pid}",
        f"dhcp-leasefile={base}/run/dnsmasq-{switch.name}.leases",
        f"dhcp-range={d.range_start},{d.range_end},{address.netmask},{d.lease_time}",
        f"dhcp-option=option:router,{address.ip}",
    ]
    for lease in d.static_leases:
        host = f",{lease.hostname}" if lease.hostname else ""
        lines.append(f"dhcp-host={lease.mac},{lease.address}{host}")
    return "\n".join(lines) + "\n"


def _not_emulated(h: s.Host) -> list[str]:
    """Everything of ``h`` the lab does not realise, said once per object."""
    notes = [
        f"{h.name}: FreeBSD {h.release}, tools {', '.join(h.tools) or 'none'}, ZFS pool {h.zfs_pool}, "
        f"vm_dir {h.vm_dir}: not emulated (a Linux network namespace)"
    ]
    for j in h.jails:
        props = [f"manager {j.manager}", f"release {j.release}", f"boot {'on' if j.boot else 'off'}"]
        if j.allow_raw_sockets:
            props.append("allow_raw_sockets")
        if j.devfs_ruleset is not None:
            props.append(f"devfs ruleset {j.devfs_ruleset}")
        notes.append(f"{h.name}/{j.name}: {', '.join(props)}: not emulated (jail properties)")
    for v in h.vms:
        notes.append(
            f"{h.name}/{v.name}: bhyve guest {v.guest} ({v.cpu} CPU, {v.memory}, disk {v.disk_size}"
            f"{', ISO ' + v.iso if v.iso else ''}, boot {'on' if v.boot else 'off'}): not emulated; "
            "its network stack is a namespace"
        )
    return notes


__all__ = ["NFT_TABLE", "HostPlan", "LabCommand", "LabFile", "LabPlan", "render_lab"]
