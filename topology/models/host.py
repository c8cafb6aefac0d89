"""Hosts (jailhosts and gateways), their interfaces and static routes."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.models.base import BaseModel, CanvasPlacedModel

from ..choices import HostRole, InterfaceKind
from ..fields import InterfaceNameField, IPv4AddressField, IPv4InterfaceField, IPv4NetworkField, validate_ifname
from ..validators import (
    validate_description,
    validate_host_name,
    validate_release,
    validate_route_name,
    validate_vm_dir,
    validate_zfs_pool,
)

hostname_validator = validate_host_name


class Host(CanvasPlacedModel):
    """A FreeBSD machine of a design: a jailhost or a gateway, with the tools it has installed."""

    design = models.ForeignKey("topology.Design", on_delete=models.CASCADE, related_name="hosts")
    name = models.CharField(max_length=63, validators=[hostname_validator])
    role = models.CharField(max_length=16, choices=HostRole.choices, default=HostRole.JAILHOST)
    release = models.CharField(
        max_length=32,
        blank=True,
        default="",
        validators=[validate_release],
        help_text="Blank: the design's default release",
    )
    has_iocage = models.BooleanField(default=False, help_text="sysutils/iocage is installed")
    has_pot = models.BooleanField(default=False, help_text="sysutils/pot is installed")
    has_vm_bhyve = models.BooleanField(default=False, help_text="sysutils/vm-bhyve is installed")
    has_dnsmasq = models.BooleanField(default=False, help_text="dns/dnsmasq is installed")
    default_router = IPv4AddressField(blank=True, default="")
    gateway_enable = models.BooleanField(default=False, help_text="Forward IPv4 packets (gateway_enable)")
    zfs_pool = models.CharField(max_length=64, default="zroot", validators=[validate_zfs_pool])
    vm_dir = models.CharField(max_length=128, default="zfs:zroot/vms", validators=[validate_vm_dir])
    managed_host = models.ForeignKey(
        "inventory.ManagedHost", null=True, blank=True, on_delete=models.SET_NULL, related_name="design_hosts"
    )

    class Meta:
        ordering = ["design_id", "name"]
        constraints = [models.UniqueConstraint(fields=["design", "name"], name="host_unique_name_per_design")]

    def __str__(self) -> str:
        return self.name

    @property
    def tools(self) -> tuple[str, ...]:
        """The declared tools in document spelling (iocage, pot, vm-bhyve, dnsmasq)."""
        flags = (("iocage", self.has_iocage), ("pot", self.has_pot), ("vm-bhyve", self.has_vm_bhyve))
        return tuple(name for name, on in (*flags, ("dnsmasq", self.has_dnsmasq)) if on)


class Interface(BaseModel):
    """A host interface: physical (em0), VLAN (em0.101, on a parent with a tag) or loopback clone (lo1)."""

    host = models.ForeignKey(Host, on_delete=models.CASCADE, related_name="interfaces")
    name = InterfaceNameField()
    kind = models.CharField(max_length=16, choices=InterfaceKind.choices, default=InterfaceKind.PHYSICAL)
    address = IPv4InterfaceField(blank=True, default="")
    dhcp = models.BooleanField(default=False)
    mtu = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(576), MaxValueValidator(65535)]
    )
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.RESTRICT, related_name="vlans")
    vlan_tag = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(4094)]
    )
    description = models.CharField(max_length=200, blank=True, validators=[validate_description])

    class Meta:
        ordering = ["host_id", "name"]
        constraints = [models.UniqueConstraint(fields=["host", "name"], name="interface_unique_name_per_host")]

    def __str__(self) -> str:
        return f"{self.host.name}:{self.name}"


class StaticRoute(BaseModel):
    """An rc.conf static route, to a gateway address or out of an interface."""

    host = models.ForeignKey(Host, on_delete=models.CASCADE, related_name="static_routes")
    name = models.CharField(max_length=32, validators=[validate_route_name])
    destination = IPv4NetworkField()
    gateway = IPv4AddressField(blank=True, default="")
    interface = models.CharField(max_length=32, blank=True, validators=[validate_ifname])

    class Meta:
        ordering = ["host_id", "name"]
        constraints = [models.UniqueConstraint(fields=["host", "name"], name="static_route_unique_name_per_host")]

    def __str__(self) -> str:
        return f"{self.host.name}:{self.name}"
