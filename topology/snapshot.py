"""Plain, immutable description of one design: the input of validation and rendering.

A snapshot is built either from the database (``topology.selectors.design_snapshot``) or from a
design document (``topology.design_io.snapshot_from_document``). Validation and the renderers only
ever see these dataclasses, never the ORM, so they are pure functions: same snapshot, same output.

References between objects use names, the way FreeBSD configuration does: a jail NIC names the
switch it is attached to, a plain jail address names the interface it is aliased on. Names are
unique per host (switches, interfaces, jails, VMs) or per design (hosts, VXLAN segments).

``id`` fields carry the database primary key when the snapshot came from the database (so the UI
can highlight the object a finding is about) and ``None`` when it came from a document.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

# --- enumerations (the values are the ones used in design documents and the API) -----------------

HOST_ROLES = ("jailhost", "gateway")
HOST_TOOLS = ("iocage", "pot", "vm-bhyve", "dnsmasq")
INTERFACE_KINDS = ("physical", "vlan", "loopback")
SWITCH_KINDS = ("bridge", "vm-switch", "pot-bridge")
VXLAN_MODES = ("multicast", "unicast")
JAIL_TYPES = ("plain", "vnet")
JAIL_MANAGERS = ("iocage", "pot", "jail.conf")
NAT_ENGINES = ("pf", "natd", "pot")
FIREWALL_ENGINES = ("pf", "ipfw")
IPFW_FIREWALL_TYPES = ("open", "client", "simple", "closed", "workstation")
RULE_ACTIONS = ("pass", "block")
RULE_DIRECTIONS = ("any", "in", "out")
PROTOCOLS = ("tcp", "udp")
RULE_PROTOCOLS = ("any", "tcp", "udp", "icmp")

# The newest supported FreeBSD release: what a new design's hosts and jails get unless told otherwise.
CURRENT_RELEASE = "15.1-RELEASE"


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """Points at one object of a design, for findings and UI highlighting.

    ``kind`` is the API/document name of the object type (``host``, ``interface``, ``switch``,
    ``vxlan-segment``, ``vxlan-member``, ``jail``, ``jail-nic``, ``jail-address``, ``vm``, ``vm-nic``,
    ``nat``, ``port-redirect``, ``dhcp-service``, ``dhcp-lease``, ``firewall-policy``, ``firewall-rule``,
    ``static-route``); ``path`` is a readable location such as ``jailhost-a/jails/vnetjail-a/nics/vnet0``.
    """

    kind: str
    path: str
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Interface:
    """A host network interface: physical (em0), VLAN (em0.101 on em0, tag 101) or loopback clone (lo1)."""

    name: str
    kind: str = "physical"
    address: str | None = None  # CIDR, e.g. "192.168.0.2/24"
    dhcp: bool = False
    mtu: int | None = None
    parent: str | None = None  # VLAN parent interface name
    vlan_tag: int | None = None
    description: str = ""
    id: int | None = None


@dataclass(frozen=True, slots=True)
class StaticRoute:
    """An rc.conf static route (``static_routes`` + ``route_<name>``): to a gateway or ``-interface``."""

    name: str
    destination: str  # CIDR
    gateway: str | None = None
    interface: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class SwitchPort:
    """A physical or VLAN interface added to a switch as a member (``addm``)."""

    interface: str
    private: bool = False
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Switch:
    """A bridge on one host.

    kind ``bridge``: cloned in rc.conf and renamed to ``name`` (bridge0 -> switch111);
    ``vm-switch``: a vm-bhyve standard switch, interface ``vm-<name>``;
    ``pot-bridge``: pot's public bridge (its address is POT_GATEWAY, its subnet POT_NETWORK).
    ``private`` makes every jail/VM member private (vm-bhyve ``vm switch private``).
    """

    name: str
    kind: str = "bridge"
    address: str | None = None  # CIDR
    mtu: int | None = None
    private: bool = False
    ports: tuple[SwitchPort, ...] = ()
    id: int | None = None

    @property
    def interface_name(self) -> str:
        """The FreeBSD interface name of the bridge (vm-bhyve prefixes its switches with ``vm-``)."""
        return f"vm-{self.name}" if self.kind == "vm-switch" else self.name


@dataclass(frozen=True, slots=True)
class JailAddress:
    """A plain jail's address, aliased on a host interface (iocage ``ip4_addr="em0.101|10.1.1.2"``)."""

    interface: str | None  # None: the host's default/external interface decides (pot alias without nic)
    address: str  # address or CIDR; without prefix it means /32
    id: int | None = None


@dataclass(frozen=True, slots=True)
class JailNic:
    """A VNET jail's NIC: an epair whose host side joins ``switch``; the jail side gets ``address``."""

    name: str  # iocage vnet0, vnet1 ...
    switch: str
    address: str | None = None  # CIDR
    dhcp: bool = False
    mac: str | None = None
    mtu: int | None = None
    private: bool = False
    id: int | None = None


@dataclass(frozen=True, slots=True)
class FirewallRule:
    """One filter rule in a policy, in order (pf; ipfw when the policy has rules of its own)."""

    action: str = "pass"
    direction: str = "any"
    quick: bool = False
    interface: str | None = None
    protocol: str = "any"
    source: str | None = None  # CIDR/address, or None for any
    destination: str | None = None
    port: int | None = None
    comment: str = ""
    id: int | None = None


@dataclass(frozen=True, slots=True)
class FirewallPolicy:
    """Firewall of a host or of a VNET jail.

    pf: ``set skip on lo0`` (``skip_loopback``), ``antispoof`` for each addressed interface,
    ``block`` by default, then ``rules`` in order. ipfw: rc.firewall's ``firewall_type``, or, when the policy
    has ``rules``, those rules in order (first match decides) and ``default_block`` at the end.
    """

    engine: str = "pf"
    default_block: bool = False
    skip_loopback: bool = True
    antispoof: bool = False
    ipfw_type: str = "open"
    rules: tuple[FirewallRule, ...] = ()
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Jail:
    """A jail on a host: ``plain`` (shares the host stack: inherit or aliases) or ``vnet`` (own stack, NICs)."""

    name: str
    type: str = "plain"
    manager: str = "iocage"
    release: str = ""  # "" until resolved: the host's release (see resolve_releases)
    boot: bool = False
    inherit: bool = False  # plain jail sharing all host addresses (ip4=inherit)
    addresses: tuple[JailAddress, ...] = ()
    nics: tuple[JailNic, ...] = ()
    default_router: str | None = None
    allow_raw_sockets: bool = False
    devfs_ruleset: int | None = None
    firewall: FirewallPolicy | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class VmNic:
    """A bhyve VM NIC: a tap on ``switch``; the guest gets ``address`` statically or by DHCP."""

    switch: str
    address: str | None = None  # CIDR configured inside the guest
    dhcp: bool = False
    mac: str | None = None
    mtu: int | None = None
    private: bool = False
    id: int | None = None


@dataclass(frozen=True, slots=True)
class VirtualMachine:
    """A bhyve guest managed by vm-bhyve."""

    name: str
    guest: str = "freebsd"
    cpu: int = 1
    memory: str = "512M"
    disk_size: str = "20G"
    iso: str | None = None
    boot: bool = False  # vm_list
    default_router: str | None = None
    nics: tuple[VmNic, ...] = ()
    id: int | None = None


@dataclass(frozen=True, slots=True)
class DhcpStaticLease:
    """A dnsmasq ``dhcp-host`` reservation: MAC -> address."""

    mac: str
    address: str
    hostname: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class DhcpService:
    """dnsmasq serving DHCP (and DNS) on one switch."""

    switch: str
    range_start: str
    range_end: str
    lease_time: str = "12h"
    static_leases: tuple[DhcpStaticLease, ...] = ()
    id: int | None = None


@dataclass(frozen=True, slots=True)
class OutboundNat:
    """Outbound NAT of ``source`` behind ``interface``'s address (pf ``nat``, natd, or pot's anchor)."""

    interface: str
    source: str | None = None  # CIDR/address; natd translates everything leaving the interface
    engine: str = "pf"
    id: int | None = None


@dataclass(frozen=True, slots=True)
class PortRedirect:
    """Inbound redirect (DNAT) of ``external_port`` on ``interface`` to a jail, VM or address."""

    interface: str
    protocol: str
    external_port: int
    target_port: int
    target_jail: str | None = None
    target_vm: str | None = None
    target_address: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Host:
    """A FreeBSD machine of the design: a jailhost or a gateway."""

    name: str
    role: str = "jailhost"
    release: str = ""  # "" until resolved: the design's default_release (see resolve_releases)
    tools: tuple[str, ...] = ()
    default_router: str | None = None
    gateway_enable: bool = False
    zfs_pool: str = "zroot"
    vm_dir: str = "zfs:zroot/vms"
    interfaces: tuple[Interface, ...] = ()
    static_routes: tuple[StaticRoute, ...] = ()
    switches: tuple[Switch, ...] = ()
    jails: tuple[Jail, ...] = ()
    vms: tuple[VirtualMachine, ...] = ()
    dhcp: tuple[DhcpService, ...] = ()
    nat: tuple[OutboundNat, ...] = ()
    redirects: tuple[PortRedirect, ...] = ()
    firewall: FirewallPolicy | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class VxlanMember:
    """One host's end of a VXLAN segment: a vxlan(4) interface over ``underlay_interface``.

    ``local_address`` defaults to the underlay interface's address. In unicast mode
    ``remote_address`` is the single peer (vxlan(4) tunnels to one remote); a hub talks to several
    peers with one member (interface) per peer, bridged on one switch.
    """

    host: str
    interface_name: str
    underlay_interface: str
    local_address: str | None = None
    remote_address: str | None = None
    address: str | None = None  # CIDR on the vxlan interface
    switch: str | None = None  # bridge the vxlan interface is added to (addm)
    private: bool = False
    group_route: bool = True  # static route for the multicast group via the underlay interface
    id: int | None = None


@dataclass(frozen=True, slots=True)
class VxlanSegment:
    """A layer-2 segment spanning hosts, identified by its 24-bit VNI."""

    name: str
    vni: int
    subnet: str | None = None
    mtu: int = 1450
    mode: str = "multicast"
    multicast_group: str | None = None
    udp_port: int = 4789
    members: tuple[VxlanMember, ...] = ()
    id: int | None = None


@dataclass(frozen=True, slots=True)
class DesignSnapshot:
    """A whole design, frozen: hosts with everything on them, and the VXLAN segments between them."""

    name: str
    description: str = ""
    underlay_mtu: int = 1500
    default_release: str = CURRENT_RELEASE
    hosts: tuple[Host, ...] = ()
    vxlan_segments: tuple[VxlanSegment, ...] = ()
    id: int | None = None

    def host(self, name: str) -> Host | None:
        """The host called ``name``, or None."""
        return next((h for h in self.hosts if h.name == name), None)

    def vxlan_members_of(self, host_name: str) -> list[tuple[VxlanSegment, VxlanMember]]:
        """Every VXLAN member interface on ``host_name``, with its segment, in document order."""
        return [(seg, m) for seg in self.vxlan_segments for m in seg.members if m.host == host_name]


def resolve_releases(snap: DesignSnapshot) -> DesignSnapshot:
    """The snapshot with every host's and jail's release filled in: a blank release is inherited.

    A host without a release runs the design's ``default_release``; a jail without one runs its host's.
    Validation and the renderers only ever see resolved snapshots.
    """
    hosts = []
    changed = False
    for host in snap.hosts:
        host_release = host.release or snap.default_release
        if host.release and all(j.release for j in host.jails):
            hosts.append(host)
            continue
        jails = tuple(j if j.release else replace(j, release=host_release) for j in host.jails)
        hosts.append(replace(host, release=host_release, jails=jails))
        changed = True
    return replace(snap, hosts=tuple(hosts)) if changed else snap


def unresolve_releases(snap: DesignSnapshot) -> DesignSnapshot:
    """The inverse of :func:`resolve_releases`: releases equal to the inherited one become blank again."""
    hosts = []
    for host in snap.hosts:
        host_release = host.release or snap.default_release
        jails = tuple(replace(j, release="") if j.release in ("", host_release) else j for j in host.jails)
        release = "" if host.release == snap.default_release else host.release
        hosts.append(replace(host, release=release, jails=jails))
    return replace(snap, hosts=tuple(hosts))


__all__ = [name for name in dir() if name[0].isupper()] + [
    "field",
    "resolve_releases",
    "unresolve_releases",
]
