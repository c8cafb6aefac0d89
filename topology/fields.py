"""Model fields for IPv4 addresses, prefixes, MAC addresses and interface names (validators: ``.validators``)."""

from __future__ import annotations

from django.db import models

from .validators import (
    validate_interface_name as validate_ifname,
)
from .validators import (
    validate_ipv4_address,
    validate_ipv4_interface,
    validate_ipv4_network,
    validate_mac,
    validate_pf_network,
)

# The validators live in topology.validators (one allow-list per kind of value); re-exported here for the fields.
__all__ = [
    "IPv4AddressField",
    "IPv4InterfaceField",
    "IPv4NetworkField",
    "InterfaceNameField",
    "MacAddressField",
    "PfNetworkField",
    "validate_ifname",
    "validate_ipv4_address",
    "validate_ipv4_interface",
    "validate_ipv4_network",
    "validate_mac",
    "validate_pf_network",
]


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


class InterfaceNameField(models.CharField):
    """A FreeBSD interface name (em0, em0.101, lo1, vxlan111, switch111)."""

    default_validators = [validate_ifname]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(*args, **kwargs)
