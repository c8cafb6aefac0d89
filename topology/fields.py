"""Model fields and validators for IPv4 addresses, prefixes and MAC addresses."""

from __future__ import annotations

import ipaddress
import re

from django.core.exceptions import ValidationError
from django.db import models

MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


def validate_ipv4_address(value: str) -> None:
    """Accept a dotted-quad IPv4 address such as ``10.1.1.1``."""
    try:
        ipaddress.IPv4Address(value)
    except ValueError as exc:
        raise ValidationError(f"'{value}' is not an IPv4 address.") from exc


def validate_ipv4_interface(value: str) -> None:
    """Accept an address with optional prefix length (``10.1.1.1/24``, ``172.31.255.17``)."""
    try:
        ipaddress.IPv4Interface(value)
    except ValueError as exc:
        raise ValidationError(f"'{value}' is not an IPv4 address with prefix length (e.g. 10.1.1.1/24).") from exc


def validate_ipv4_network(value: str) -> None:
    """Accept an address, network or host prefix (``10.1.1.0/24``, ``172.31.255.17``).

    Host bits are allowed (pf writes ``10.1.1/24``-style sources loosely); the network is implied.
    """
    try:
        ipaddress.IPv4Network(value, strict=False)
    except ValueError as exc:
        raise ValidationError(f"'{value}' is not an IPv4 network (e.g. 10.1.1.0/24).") from exc


def validate_pf_network(value: str) -> None:
    """Accept a network as pf writes it in a rule, optionally negated (``!192.168.0.2``, ``10.1.1.0/24``)."""
    validate_ipv4_network(value[1:] if value.startswith("!") else value)


def validate_mac(value: str) -> None:
    """Accept a MAC address written as six lower-case colon-separated octets."""
    if not MAC_RE.match(value):
        raise ValidationError(f"'{value}' is not a MAC address like 58:9c:fc:00:00:01 (lower case).")


class IPv4InterfaceField(models.CharField):
    """An IPv4 address with prefix length, stored as text (``10.1.1.1/24``)."""

    default_validators = [validate_ipv4_interface]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 18)
        super().__init__(*args, **kwargs)


class IPv4NetworkField(models.CharField):
    """An IPv4 network or host prefix, stored as text (``10.1.1.0/24``)."""

    default_validators = [validate_ipv4_network]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 18)
        super().__init__(*args, **kwargs)


class PfNetworkField(models.CharField):
    """A pf rule's source or destination: a network, optionally negated with ``!``."""

    default_validators = [validate_pf_network]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 19)
        super().__init__(*args, **kwargs)


class IPv4AddressField(models.CharField):
    """A plain IPv4 address stored as text (keeps documents byte-identical on round trip)."""

    default_validators = [validate_ipv4_address]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 15)
        super().__init__(*args, **kwargs)


class MacAddressField(models.CharField):
    """A MAC address (``58:9c:fc:00:00:01``)."""

    default_validators = [validate_mac]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 17)
        super().__init__(*args, **kwargs)


# FreeBSD interface names: IFNAMSIZ is 16 including the terminating NUL.
IFNAMSIZ = 16
IFNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")


def validate_ifname(value: str) -> None:
    """Accept a FreeBSD interface name: a letter, then letters, digits, ``_ . -``; at most 15 characters."""
    if not IFNAME_RE.match(value):
        raise ValidationError(f"'{value}' is not a valid interface name (letters, digits, '_', '.', '-').")
    if len(value) > IFNAMSIZ - 1:
        raise ValidationError(f"'{value}' is longer than FreeBSD's {IFNAMSIZ - 1}-character interface names.")


class InterfaceNameField(models.CharField):
    """A FreeBSD interface name (em0, em0.101, lo1, vxlan111, switch111)."""

    default_validators = [validate_ifname]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(*args, **kwargs)
