"""Fast, cached IPv4 parsing for validation.

The same address strings repeat thousands of times in a large design (default routers, subnets), so
parsing is cached per string. Addresses are kept as integers, which makes containment and overlap
tests plain arithmetic. Only IPv4 is supported, like the design format.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

_ALL_ONES = 0xFFFFFFFF


def mask(prefixlen: int) -> int:
    """The netmask of ``prefixlen`` as an integer (24 -> 0xffffff00)."""
    return (_ALL_ONES << (32 - prefixlen)) & _ALL_ONES


def dotted(value: int) -> str:
    """An integer address in dotted-quad notation."""
    return f"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}"


class Network(NamedTuple):
    """An IPv4 network: first address and prefix length."""

    start: int
    prefixlen: int

    @property
    def end(self) -> int:
        """The last address (the broadcast address for prefixes up to /30)."""
        return self.start | (~mask(self.prefixlen) & _ALL_ONES)

    def contains(self, address: int) -> bool:
        """Whether ``address`` lies inside this network."""
        return self.start <= address <= self.end

    def overlaps(self, other: Network) -> bool:
        """Whether the two networks share any address (for CIDR blocks: one contains the other)."""
        return self.start <= other.end and other.start <= self.end

    def __str__(self) -> str:
        return f"{dotted(self.start)}/{self.prefixlen}"


class Cidr(NamedTuple):
    """An address with its prefix length, as configured on an interface (``10.0.111.10/24``)."""

    ip: int
    prefixlen: int
    network: Network  # the network the address belongs to (computed once, when parsed)

    @property
    def address(self) -> str:
        """The address without prefix."""
        return dotted(self.ip)

    def __str__(self) -> str:
        return f"{dotted(self.ip)}/{self.prefixlen}"


def _octets(text: str) -> int | None:
    parts = text.split(".")
    if len(parts) != 4:
        return None
    value = 0
    for part in parts:
        # Decimal only, no leading zeros: inet_aton would read "010" as octal, which surprises everyone.
        if not part.isdigit() or not part.isascii() or (len(part) > 1 and part[0] == "0"):
            return None
        octet = int(part)
        if octet > 255:
            return None
        value = (value << 8) | octet
    return value


def _cidr(ip: int, prefixlen: int) -> Cidr:
    return Cidr(ip, prefixlen, Network(ip & mask(prefixlen), prefixlen))


@lru_cache(maxsize=1 << 17)  # bounded: a long-running web process validates many designs
def parse_ip(text: str | None) -> int | None:
    """A plain address (``10.0.111.1``) as an integer, or None when it is not a valid IPv4 address."""
    if not text:
        return None
    return _octets(text.strip())


@lru_cache(maxsize=1 << 17)  # bounded: a long-running web process validates many designs
def parse_cidr(text: str | None, default_prefix: int | None = None) -> Cidr | None:
    """``10.0.111.10/24`` as a :class:`Cidr`; without ``/prefix`` use ``default_prefix`` (None: invalid)."""
    if not text:
        return None
    address, slash, prefix = text.strip().partition("/")
    ip = _octets(address)
    if ip is None:
        return None
    if not slash:
        return None if default_prefix is None else _cidr(ip, default_prefix)
    if not prefix.isdigit() or not prefix.isascii() or int(prefix) > 32 or (len(prefix) > 1 and prefix[0] == "0"):
        return None
    return _cidr(ip, int(prefix))


@lru_cache(maxsize=1 << 17)  # bounded: a long-running web process validates many designs
def parse_network(text: str | None) -> Network | None:
    """A network such as ``10.0.111.0/24`` (a bare address means /32); host bits are masked off."""
    cidr = parse_cidr(text, 32)
    return None if cidr is None else cidr.network


def is_multicast(address: int) -> bool:
    """Whether ``address`` is in 224.0.0.0/4."""
    return address >> 28 == 0xE


def is_link_local_multicast(address: int) -> bool:
    """Whether ``address`` is in 224.0.0.0/24, which routers never forward and IGMP does not manage."""
    return address >> 8 == 0xE00000
