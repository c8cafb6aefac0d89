"""The rule modules; importing this package registers every rule in the catalogue."""

from . import addresses, dhcp, firewall, jails, mtu, names, nat, references, vxlan

__all__ = ["addresses", "dhcp", "firewall", "jails", "mtu", "names", "nat", "references", "vxlan"]
