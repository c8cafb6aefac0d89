"""Choice sets of the design model. Values are the ones used in design documents and the API."""

from django.db import models


class HostRole(models.TextChoices):
    JAILHOST = "jailhost", "Jailhost"
    GATEWAY = "gateway", "Gateway"


class InterfaceKind(models.TextChoices):
    PHYSICAL = "physical", "Physical (em0, igb0)"
    VLAN = "vlan", "VLAN (em0.101)"
    LOOPBACK = "loopback", "Loopback clone (lo1)"


class SwitchKind(models.TextChoices):
    BRIDGE = "bridge", "Bridge in rc.conf (renamed bridgeN)"
    VM_SWITCH = "vm-switch", "vm-bhyve standard switch"
    POT_BRIDGE = "pot-bridge", "pot public bridge"


class VxlanMode(models.TextChoices):
    MULTICAST = "multicast", "Multicast group"
    UNICAST = "unicast", "Unicast to one remote"


class JailType(models.TextChoices):
    PLAIN = "plain", "Plain (shares the host's network stack)"
    VNET = "vnet", "VNET (own network stack)"


class JailManager(models.TextChoices):
    IOCAGE = "iocage", "iocage"
    POT = "pot", "pot"
    JAIL_CONF = "jail.conf", "jail.conf (base system)"


class NatEngine(models.TextChoices):
    PF = "pf", "pf nat"
    NATD = "natd", "ipfw + natd"
    POT = "pot", "pot's pot-nat anchor"


class FirewallEngine(models.TextChoices):
    PF = "pf", "pf"
    IPFW = "ipfw", "ipfw (rc.firewall)"


class IpfwType(models.TextChoices):
    OPEN = "open", "open"
    CLIENT = "client", "client"
    SIMPLE = "simple", "simple"
    CLOSED = "closed", "closed"
    WORKSTATION = "workstation", "workstation"


class RuleAction(models.TextChoices):
    PASS = "pass", "pass"
    BLOCK = "block", "block"


class RuleDirection(models.TextChoices):
    ANY = "any", "any"
    IN = "in", "in"
    OUT = "out", "out"


class Protocol(models.TextChoices):
    TCP = "tcp", "tcp"
    UDP = "udp", "udp"


class RuleProtocol(models.TextChoices):
    ANY = "any", "any"
    TCP = "tcp", "tcp"
    UDP = "udp", "udp"
    ICMP = "icmp", "icmp"
