"""Jails: plain (addresses on host interfaces, or inherit) and VNET (NICs on switches)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.models.base import BaseModel, CanvasPlacedModel

from ..choices import JailManager, JailType
from ..fields import IPv4AddressField, IPv4InterfaceField, MacAddressField, validate_ifname
from ..validators import validate_jail_name, validate_jail_nic_name, validate_release

jail_name_validator = validate_jail_name


class Jail(CanvasPlacedModel):
    """A jail on a host, managed by iocage, pot or plain jail.conf."""

    host = models.ForeignKey("topology.Host", on_delete=models.CASCADE, related_name="jails")
    name = models.CharField(max_length=64, validators=[jail_name_validator])
    type = models.CharField(max_length=8, choices=JailType.choices, default=JailType.PLAIN)
    manager = models.CharField(max_length=16, choices=JailManager.choices, default=JailManager.IOCAGE)
    release = models.CharField(
        max_length=32, blank=True, default="", validators=[validate_release], help_text="Blank: the host's release"
    )
    boot = models.BooleanField(default=False, help_text="Start at boot")
    inherit = models.BooleanField(default=False, help_text="Plain jail sharing every host address (ip4=inherit)")
    default_router = IPv4AddressField(blank=True, default="")
    allow_raw_sockets = models.BooleanField(default=False)
    devfs_ruleset = models.PositiveIntegerField(null=True, blank=True, validators=[MaxValueValidator(65535)])

    class Meta:
        ordering = ["host_id", "name"]
        constraints = [models.UniqueConstraint(fields=["host", "name"], name="jail_unique_name_per_host")]

    def __str__(self) -> str:
        return f"{self.host.name}:{self.name}"


class JailAddress(BaseModel):
    """An address of a plain jail, aliased on a host interface (``em0.101|10.1.1.2``)."""

    jail = models.ForeignKey(Jail, on_delete=models.CASCADE, related_name="addresses")
    index = models.PositiveSmallIntegerField(default=0)
    interface_name = models.CharField(max_length=32, blank=True, validators=[validate_ifname])
    address = IPv4InterfaceField()

    class Meta:
        ordering = ["jail_id", "index", "id"]

    def __str__(self) -> str:
        return f"{self.interface_name}|{self.address}"


class JailNic(BaseModel):
    """A VNET jail NIC: an epair whose host side joins ``switch``."""

    jail = models.ForeignKey(Jail, on_delete=models.CASCADE, related_name="nics")
    name = models.CharField(max_length=15, default="vnet0", validators=[validate_jail_nic_name])
    switch = models.ForeignKey("topology.Switch", on_delete=models.RESTRICT, related_name="jail_nics")
    address = IPv4InterfaceField(blank=True, default="")
    dhcp = models.BooleanField(default=False)
    mac = MacAddressField(blank=True, default="")
    mtu = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(576), MaxValueValidator(65535)]
    )
    private = models.BooleanField(default=False)

    class Meta:
        ordering = ["jail_id", "name"]
        constraints = [models.UniqueConstraint(fields=["jail", "name"], name="jail_nic_unique_name")]

    def __str__(self) -> str:
        return f"{self.jail}:{self.name}"
