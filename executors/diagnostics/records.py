"""Typed records the parsers produce, the same for FreeBSD output and its Linux (lab) equivalent.

Every parser returns a :class:`Parsed`: the records it understood and, as :class:`RawLine`, every line it did
not, so that nothing a host printed is hidden from the user and a surprise in the format never crashes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(slots=True)
class RawLine:
    """A line a parser did not understand, kept as printed (1-based line number)."""

    number: int
    text: str


@dataclass(slots=True)
class Parsed(Generic[T]):
    """What a parser read: typed records, and the lines it kept as raw text."""

    records: list[T] = field(default_factory=list)
    unparsed: list[RawLine] = field(default_factory=list)


@dataclass(slots=True)
class InterfaceAddress:
    """An address of an interface: ``family`` inet/inet6, ``prefixlen`` None when the netmask is not contiguous."""

    family: str
    address: str
    prefixlen: int | None
    broadcast: str | None = None
    netmask: str | None = None  # as printed (``0xffffff00``), for the raw view
    scope: str | None = None

    @property
    def cidr(self) -> str:
        """``10.0.0.1/24`` (``/?`` when the prefix length is unknown)."""
        return f"{self.address}/{self.prefixlen if self.prefixlen is not None else '?'}"


@dataclass(slots=True)
class BridgeMember:
    """A bridge member with its flags, in the order ``ifconfig`` prints them (``LEARNING,DISCOVER,PRIVATE``)."""

    name: str
    flags: tuple[str, ...] = ()
    flags_value: int | None = None
    port: int | None = None
    priority: int | None = None
    path_cost: int | None = None

    @property
    def private(self) -> bool:
        """The PRIVATE flag (``ifconfig BRIDGE private IF``; Linux: bridge port ``isolated``)."""
        return "PRIVATE" in self.flags


@dataclass(slots=True)
class VxlanConfig:
    """The vxlan line of an interface: VNI, local and remote (unicast) or group (multicast) endpoints."""

    vni: int
    local: str | None
    local_port: int | None
    remote: str | None
    remote_port: int | None
    multicast: bool
    device: str | None = None  # vxlandev (Linux prints it; FreeBSD does not)

    @property
    def group(self) -> str | None:
        """The multicast group, when the remote end is one."""
        return self.remote if self.multicast else None


@dataclass(slots=True)
class InterfaceRecord:
    """One interface as ``ifconfig`` (or ``ip -j -d addr``) describes it."""

    name: str
    flags: tuple[str, ...] = ()
    mtu: int | None = None
    metric: int | None = None
    description: str | None = None
    mac: str | None = None
    addresses: list[InterfaceAddress] = field(default_factory=list)
    groups: tuple[str, ...] = ()
    members: list[BridgeMember] = field(default_factory=list)
    vxlan: VxlanConfig | None = None
    vlan_tag: int | None = None
    vlan_parent: str | None = None
    kind: str | None = None  # Linux link kind (bridge, vxlan, veth, vlan ...); FreeBSD: the driver group
    master: str | None = None  # Linux: the bridge this interface is a port of
    media: str | None = None
    status: str | None = None
    extra: list[str] = field(default_factory=list)  # recognised but not modelled lines (options=, nd6 ...)

    @property
    def up(self) -> bool:
        """The UP flag."""
        return "UP" in self.flags


@dataclass(slots=True)
class ArpEntry:
    """One ``arp -an`` line (or a Linux neighbour)."""

    ip: str
    mac: str | None  # None: incomplete
    interface: str
    hostname: str = "?"
    permanent: bool = False
    expires: int | None = None  # seconds left
    expired: bool = False
    published: bool = False
    link_type: str | None = None  # ethernet, bridge, vlan ...
    state: str | None = None  # Linux neighbour state (REACHABLE, STALE ...)


@dataclass(slots=True)
class ListeningSocket:
    """A listening (or unconnected UDP) socket; user/command/pid are None for kernel sockets (``?``)."""

    proto: str  # tcp4, udp4, tcp46 ... (Linux: tcp/udp)
    local_address: str  # "*" for any
    local_port: int | None
    foreign: str = "*:*"
    user: str | None = None
    command: str | None = None
    pid: int | None = None
    fd: int | None = None
    state: str | None = None


@dataclass(slots=True)
class MulticastMembership:
    """A multicast group joined on an interface (``ifmcstat``; Linux ``ip maddr``)."""

    interface: str
    family: str  # inet, inet6, link
    group: str
    mode: str | None = None  # include / exclude (IGMPv3/MLDv2 filter mode)
    mac: str | None = None  # mcast-macaddr


@dataclass(slots=True)
class FtableEntry:
    """A vxlan(4) forwarding-table entry: inner MAC -> remote VTEP address."""

    dynamic: bool
    flags: int
    mac: str  # lowercase, colon separated (FreeBSD prints uppercase)
    remote: str
    expire: int | None  # FreeBSD: absolute uptime second of expiry; None on Linux
    interface: str | None = None  # Linux fdb: the vxlan device


@dataclass(slots=True)
class PfState:
    """One ``pfctl -s state`` line: wire addresses, the translated side when NAT applied, and the state."""

    interface: str
    proto: str
    direction: str  # in / out
    local: str
    local_translated: str | None
    remote: str
    remote_translated: str | None
    state: str


@dataclass(slots=True)
class NatRule:
    """A translation rule: ``nat``/``rdr``/``binat`` (pf) or its nftables equivalent (masquerade, dnat)."""

    action: str  # nat, rdr, binat, no-nat, no-rdr, nat-anchor, rdr-anchor
    interface: str | None
    source: str | None
    destination: str | None
    target: str | None  # what follows "->"
    proto: str | None = None
    port: str | None = None  # destination port match (rdr)
    target_port: str | None = None
    text: str = ""


@dataclass(slots=True)
class PfRule:
    """A filter rule as ``pfctl -s rules`` prints it (action, direction, quick, interface; full text kept)."""

    action: str
    direction: str | None
    quick: bool
    interface: str | None
    text: str


@dataclass(slots=True)
class JailRecord:
    """A running jail (``jls``), an iocage/pot jail (with its state) or a lab jail's network namespace."""

    name: str
    jid: int | None = None
    hostname: str | None = None
    path: str | None = None
    ip4: str | None = None
    running: bool = True
    release: str | None = None
    network: str | None = None
    manager: str | None = None


@dataclass(slots=True)
class VmSwitch:
    """A ``vm switch list`` row."""

    name: str
    type: str
    interface: str | None
    address: str | None
    private: bool | None
    mtu: int | None
    vlan: str | None
    ports: tuple[str, ...]


@dataclass(slots=True)
class PacketLine:
    """A ``tcpdump -n -l`` line: timestamp (when it starts one) and the text."""

    timestamp: str | None
    text: str
    vni: int | None = None  # a VXLAN header's VNI, when the line decodes one
