"""Render a design as Linux lab configuration: per host, files and argv commands; plus the lab's fabric. Pure.

The output is data (:class:`LabPlan`): the lab executor runs ``fabric`` locally as root (namespaces, the
underlay and management cabling that crosses namespaces, the internet stub), then pushes each
:class:`HostPlan` over SSH to the host's own ``sshd`` and runs its commands there, inside the host namespace.
Nested namespaces of VNET jails and VMs are created from the host, the way a jailhost creates its jails.

Same snapshot and state directory, same plan: no I/O, no clock, no randomness (MACs are hashes of names).
"""

from __future__ import annotations

from topology import snapshot as s

from .helper import HELPER_SOURCE
from .host import plan_host
from .model import INTERNET_PORT, INTERNET_SERVER, MGMT_GATEWAY, MGMT_NETWORK, LabNetwork
from .network import build_network
from .plan import NFT_TABLE, HostPlan, LabCommand, LabFile, LabPlan
from .plan import c as _c
from .plan import in_netns as _in


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
    hosts = tuple(plan_host(net, h, state_dir, loopback_kind, vlan_kind) for h in snapshot.hosts)
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


__all__ = ["NFT_TABLE", "HostPlan", "LabCommand", "LabFile", "LabPlan", "render_lab"]
