"""One lab host's plan, concern by concern (like ``render/freebsd/``): each planner adds its commands, files,
notes and listeners to a :class:`HostBuild`, in the order the host runs them. Pure.

Order matters: devices before what is attached to them, addresses before the routes that use them, the host
side of every guest before the guests' own sides (one ``ip -batch`` for the host namespace, then one per
guest), the firewall once every interface exists, DHCP clients last.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from topology import snapshot as s

from .files import dnsmasq_conf, nft_filter, nft_table
from .helper import UDHCPC_SCRIPT
from .model import SERVICE_PORT, LabNetwork, host_forwards, iface
from .plan import NFT_TABLE, HostPlan, LabCommand, LabFile, c, in_netns, on_link


@dataclass
class HostBuild:
    """What the planners of one host accumulate."""

    net: LabNetwork
    host: s.Host
    base: str  # the host's directory under the lab's state directory
    loopback_kind: str
    vlan_kind: str
    files: list[LabFile] = field(default_factory=list)
    cmds: list[LabCommand] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pidfiles: list[str] = field(default_factory=list)
    addresses: list[tuple[str, str]] = field(default_factory=list)  # (linux iface, CIDR), in order
    listeners: list[str] = field(default_factory=list)  # served by the lab's listener: NETNS,ADDR:PORT,BANNER

    def linux_iface(self, name: str) -> str:
        """The Linux interface carrying the design interface ``name``'s addresses (a bridge member's: the bridge)."""
        return self.net.effective_iface.get((self.host.name, name), name)


def plan_host(net: LabNetwork, h: s.Host, state_dir: str, loopback_kind: str, vlan_kind: str = "vlan") -> HostPlan:
    """The files and commands of host ``h``, run inside its namespace over its SSH connection."""
    b = HostBuild(net, h, f"{state_dir}/hosts/{h.name}", loopback_kind, vlan_kind)
    for planner in (
        _plan_kernel,
        _plan_interfaces,
        _plan_switches,
        _plan_vxlan,
        _plan_plain_jails,
        _plan_addresses,
        _plan_guest_links,
        _plan_routes,
        _plan_guests,
        _plan_firewalls,
        _plan_dhcp,
    ):
        planner(b)
    b.notes += _not_emulated(h)
    return HostPlan(
        name=h.name,
        netns=net.host_netns[h.name],
        mgmt_address=str(net.mgmt_address[h.name].ip),
        files=tuple(b.files),
        commands=tuple(b.cmds),
        notes=tuple(b.notes),
        pidfiles=tuple(b.pidfiles),
        listeners=tuple(b.listeners),
    )


def _plan_kernel(b: HostBuild) -> None:
    """Forwarding and the sysctls that make Linux route like FreeBSD."""
    h = b.host
    forwards = host_forwards(h)
    if forwards and not h.gateway_enable:
        b.notes.append(f"{h.name}: IPv4 forwarding enabled for its NAT/redirect rules (gateway_enable is off)")
    # One sysctl process for all keys. FreeBSD has no reverse-path filter by default; Linux's would drop
    # asymmetric (but valid) paths. With br_netfilter, Linux would filter traffic between members of one
    # bridge with the host's firewall; the expected matrix (and FreeBSD's pf without pfil_member) does not.
    # -e: that last key only exists when br_netfilter is loaded (the others exist in every namespace).
    b.cmds.append(
        c("sysctl", "-q", "-e", "-w", f"net.ipv4.ip_forward={int(forwards)}", "net.ipv4.conf.all.rp_filter=0",
          "net.ipv4.conf.default.rp_filter=0", "net.ipv4.conf.all.send_redirects=0",
          "net.bridge.bridge-nf-call-iptables=0")
    )  # fmt: skip


def _plan_interfaces(b: HostBuild) -> None:
    """Physical ends exist (cabled by the fabric); clone loopbacks and VLANs here."""
    h, cmds, notes = b.host, b.cmds, b.notes
    for i in h.interfaces:
        if i.kind == "loopback":
            cmds.append(c("ip", "link", "add", i.name, "type", b.loopback_kind))
        elif i.kind == "vlan" and b.vlan_kind == "veth":
            notes.append(
                f"{h.name}: {i.name} (VLAN {i.vlan_tag} on {i.parent}) is a link of its own into that VLAN's "
                "segment: this kernel has no 802.1Q, so no tags on the wire"
            )
        elif i.kind == "vlan":
            cmds.append(
                c("ip", "link", "add", "link", i.parent or "", "name", i.name, "type", "vlan", "id", str(i.vlan_tag))
            )
        if i.mtu:
            cmds.append(c("ip", "link", "set", i.name, "mtu", str(i.mtu)))
        cmds.append(c("ip", "link", "set", i.name, "up"))
        if i.address:
            b.addresses.append((b.net.effective_iface[(h.name, i.name)], str(iface(i.address))))
        elif i.dhcp:
            uplink = next((u for u in b.net.uplinks if u.host == h.name and u.host_iface == i.name), None)
            if uplink is not None:
                b.addresses.append((i.name, str(uplink.host_address)))
            else:
                notes.append(f"{h.name}: DHCP client on {i.name}: not emulated (no address in the lab)")


def _plan_switches(b: HostBuild) -> None:
    """A Linux bridge per switch, its member ports (private: ``isolated``)."""
    cmds = b.cmds
    for w in b.host.switches:
        cmds.append(c("ip", "link", "add", w.interface_name, "type", "bridge"))
        if w.mtu:
            cmds.append(c("ip", "link", "set", w.interface_name, "mtu", str(w.mtu)))
        cmds.append(c("ip", "link", "set", w.interface_name, "up"))
        if w.address:
            b.addresses.append((w.interface_name, str(iface(w.address))))
        for p in w.ports:
            cmds.append(c("ip", "link", "set", p.interface, "master", w.interface_name))
            if p.private:
                cmds.append(c("ip", "link", "set", p.interface, "type", "bridge_slave", "isolated", "on"))


def _plan_vxlan(b: HostBuild) -> None:
    """A Linux vxlan device per member (same VNI, group or peer, port), on its switch; a hub's peers as FDB."""
    h, cmds = b.host, b.cmds
    eff = b.net.effective_iface
    iface_addr = {i.name: i.address for i in h.interfaces}
    first_unicast: dict[tuple[str, int, str], str] = {}  # (segment, udp port, underlay) -> Linux device
    fdb: list[LabCommand] = []  # after all devices exist: one `bridge -batch` instead of one process each
    for seg, m in b.net.vxlan_members.get(h.name, []):
        local = m.local_address or iface_addr.get(m.underlay_interface)
        remote = m.remote_address.split("/")[0] if m.remote_address else None
        hub_key = (seg.name, seg.udp_port, m.underlay_interface)
        if seg.mode != "multicast" and remote and hub_key in first_unicast:
            # Linux allows one vxlan device per VNI and local endpoint; a hub's further peers become
            # head-end replication entries on the first device (FreeBSD uses one vxlan(4) per peer).
            device = first_unicast[hub_key]
            fdb.append(c("bridge", "fdb", "append", "00:00:00:00:00:00", "dev", device, "dst", remote))
            b.notes.append(f"{h.name}: {m.interface_name} (peer {remote}) is an FDB entry of {device} in the lab")
            if m.switch:
                # The bridge must send frames from one peer back out of the same device to the others.
                cmds.append(c("ip", "link", "set", device, "type", "bridge_slave", "hairpin", "on"))
            if m.address:
                b.addresses.append((eff[(h.name, m.interface_name)], str(iface(m.address))))
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
        cmds.append(c(*argv))
        if seg.mode != "multicast" and remote:
            fdb.append(c("bridge", "fdb", "append", "00:00:00:00:00:00", "dev", m.interface_name, "dst", remote))
        cmds.append(c("ip", "link", "set", m.interface_name, "mtu", str(seg.mtu)))
        if m.switch:
            cmds.append(c("ip", "link", "set", m.interface_name, "master", b.linux_iface(m.switch)))
            if m.private:
                cmds.append(c("ip", "link", "set", m.interface_name, "type", "bridge_slave", "isolated", "on"))
            if seg.mode != "multicast":
                # A unicast hub reflects a spoke's broadcasts back to it; a bridge learning from the vxlan port
                # would then move the spoke's own local MACs onto the tunnel. Every remote MAC is reached
                # through the one peer anyway, so flooding there costs nothing.
                cmds.append(c("ip", "link", "set", m.interface_name, "type", "bridge_slave", "learning", "off"))
        cmds.append(c("ip", "link", "set", m.interface_name, "up"))
        if m.address:
            b.addresses.append((eff[(h.name, m.interface_name)], str(iface(m.address))))
        if seg.mode == "multicast" and seg.multicast_group and m.group_route:
            cmds.append(c("ip", "route", "replace", f"{seg.multicast_group}/32", "dev", m.underlay_interface))
    cmds += fdb


def _plan_plain_jails(b: HostBuild) -> None:
    """Plain jails: their aliases on the host, and a listener bound to them."""
    h, addresses = b.host, b.addresses
    for j in h.jails:
        if j.type != "plain" or j.inherit:
            continue
        bound = []
        for a in j.addresses:
            target = a.interface or next((i.name for i in h.interfaces if i.kind == "physical" and i.address), None)
            if target is None:
                b.notes.append(f"{h.name}/{j.name}: no interface for {a.address}; not emulated")
                continue
            address = iface(a.address)
            linux_iface = b.linux_iface(target)
            if (linux_iface, str(address)) not in addresses and not any(
                x[0] == linux_iface and iface(x[1]).ip == address.ip for x in addresses
            ):
                addresses.append((linux_iface, str(address)))
            bound.append(str(address.ip))
        ports = sorted({SERVICE_PORT} | {x.target_port for x in h.redirects if x.target_jail == j.name})
        b.listeners += [f"{b.net.host_netns[h.name]},{a}:{p},{h.name}/{j.name}" for a in bound for p in ports]


def _plan_addresses(b: HostBuild) -> None:
    """Every address gathered so far, once the devices exist."""
    for linux_iface, cidr in b.addresses:
        b.cmds.append(c("ip", "addr", "add", cidr, "dev", linux_iface))


def _plan_guest_links(b: HostBuild) -> None:
    """VNET jails and VMs: a namespace each, epair/tap = veth with the host end on the switch.

    The host's side of every guest first (these run in the host namespace, with the commands above: one
    ``ip -batch``), then each guest's side (:func:`_plan_guests`: one ``ip -n GUEST -batch`` per guest).
    """
    cmds = b.cmds
    for g in b.net.guests[b.host.name]:
        cmds.append(c("ip", "netns", "add", g.netns))
        for n in g.nics:
            cmds += [
                c("ip", "link", "add", n.host_side, "type", "veth", "peer", "name", n.guest_side, "netns", g.netns),
                c("ip", "link", "set", n.host_side, "master", n.switch_iface),
            ]
            if n.isolated:
                cmds.append(c("ip", "link", "set", n.host_side, "type", "bridge_slave", "isolated", "on"))
            if n.mtu:
                cmds.append(c("ip", "link", "set", n.host_side, "mtu", str(n.mtu)))
            cmds.append(c("ip", "link", "set", n.host_side, "up"))


def _plan_routes(b: HostBuild) -> None:
    """Static routes, then the default route (via the internet stub where the design has none)."""
    h, cmds = b.host, b.cmds
    for r in h.static_routes:
        dest = r.destination if "/" in r.destination else f"{r.destination}/32"
        if r.gateway:
            cmds.append(c("ip", "route", "replace", dest, "via", r.gateway, may_fail=True))
        else:
            cmds.append(c("ip", "route", "replace", dest, "dev", b.linux_iface(r.interface or "")))
    default = h.default_router
    for up in b.net.uplinks:
        if up.host == h.name and up.default_route_added:
            default = str(up.stub_address.ip)
    if default:
        gateway_on_link = on_link(default, [cidr for _, cidr in b.addresses])
        cmds.append(c("ip", "route", "replace", "default", "via", default, may_fail=not gateway_on_link))


def _plan_guests(b: HostBuild) -> None:
    """Each guest's own side: its NICs' MACs, MTUs and addresses, its default route, its listeners."""
    h, cmds = b.host, b.cmds
    for g in b.net.guests[h.name]:
        cmds.append(c("ip", "-n", g.netns, "link", "set", "lo", "up"))
        for n in g.nics:
            if n.mtu:
                cmds.append(c("ip", "-n", g.netns, "link", "set", n.guest_side, "mtu", str(n.mtu)))
            cmds += [
                c("ip", "-n", g.netns, "link", "set", n.guest_side, "address", n.mac),
                c("ip", "-n", g.netns, "link", "set", n.guest_side, "up"),
            ]
            if n.address:
                cmds.append(c("ip", "-n", g.netns, "addr", "add", str(n.address), "dev", n.guest_side))
        if g.default_router:
            gateway_on_link = on_link(g.default_router, [str(n.address) for n in g.nics if n.address])
            cmds.append(
                c("ip", "-n", g.netns, "route", "replace", "default", "via", g.default_router,
                  may_fail=not gateway_on_link)
            )  # fmt: skip
        is_jail = g.kind == "vnet-jail"
        ports = sorted(
            {SERVICE_PORT}
            | {x.target_port for x in h.redirects if (x.target_jail if is_jail else x.target_vm) == g.name}
        )
        b.listeners += [f"{g.netns},0.0.0.0:{p},{h.name}/{g.name}" for p in ports]


def _plan_firewalls(b: HostBuild) -> None:
    """NAT, redirects and the firewalls: nftables, one table per namespace (each VNET jail's, the host's)."""
    h, net = b.host, b.net
    for g in net.guests[h.name]:
        firewall = net.nodes[f"{h.name}/{g.name}"].firewall
        if firewall is not None:
            path = f"{b.base}/nftables-{g.name}.nft"
            table = [f"table ip {NFT_TABLE} {{", *nft_filter(firewall, management=None), "}", ""]
            b.files.append(LabFile(path, "\n".join(table)))
            b.cmds.append(c(*in_netns(g.netns, "nft", "-f", path)))
    if h.nat or h.redirects or net.nodes[h.name].firewall is not None:
        path = f"{b.base}/nftables.nft"
        b.files.append(LabFile(path, nft_table(net, h)))
        b.cmds.append(c("nft", "-f", path))


def _plan_dhcp(b: HostBuild) -> None:
    """DHCP: dnsmasq on the switch, then the guests' clients (busybox udhcpc, bounded: 5 tries of 1 s)."""
    h, base = b.host, b.base
    if h.dhcp:
        b.files.append(LabFile(f"{base}/udhcpc.sh", UDHCPC_SCRIPT, 0o755))
    for d in h.dhcp:
        switch = next((w for w in h.switches if w.name == d.switch), None)
        if switch is None or not switch.address:
            b.notes.append(f"{h.name}: DHCP on {d.switch} needs the switch's address; not emulated")
            continue
        conf = f"{base}/dnsmasq-{d.switch}.conf"
        pid = f"{base}/run/dnsmasq-{d.switch}.pid"
        b.pidfiles.append(pid)
        b.files.append(LabFile(conf, dnsmasq_conf(d, switch, base, pid)))
        b.cmds.append(c("dnsmasq", f"--conf-file={conf}"))
        b.notes.append(f"{h.name}: dnsmasq on {switch.interface_name} serves DHCP only (its DNS is not emulated)")
    for g in b.net.guests[h.name]:
        for n in g.nics:
            if n.dhcp and not n.address:
                b.cmds.append(
                    c(*in_netns(g.netns, "busybox", "udhcpc", "-i", n.guest_side, "-n", "-q", "-t", "5", "-T", "1",
                                "-A", "1", "-s", f"{base}/udhcpc.sh"), may_fail=True)
                )  # fmt: skip


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


__all__ = ["HostBuild", "plan_host"]
