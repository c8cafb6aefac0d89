"""The rule modules; importing this package registers every rule in the catalogue."""

from . import addresses, jails, mtu, names, references, services, vxlan

__all__ = ["addresses", "jails", "mtu", "names", "references", "services", "vxlan"]
