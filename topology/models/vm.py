"""bhyve virtual machines managed by vm-bhyve, and their NICs."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.models.base import BaseModel, CanvasPlacedModel

from ..fields import IPv4AddressField, IPv4InterfaceField, MacAddressField
from ..validators import validate_guest, validate_iso, validate_size, validate_vm_name


class VirtualMachine(CanvasPlacedModel):
    """A bhyve guest on a host, created with vm-bhyve."""

    host = models.ForeignKey("topology.Host", on_delete=models.CASCADE, related_name="vms")
    name = models.CharField(max_length=64, validators=[validate_vm_name])
    guest = models.CharField(max_length=32, default="freebsd", validators=[validate_guest])
    cpu = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(256)])
    memory = models.CharField(max_length=16, default="512M", validators=[validate_size])
    disk_size = models.CharField(max_length=16, default="20G", validators=[validate_size])
    iso = models.CharField(max_length=200, blank=True, validators=[validate_iso])
    boot = models.BooleanField(default=False, help_text="Start at boot (vm_list)")
    default_router = IPv4AddressField(blank=True, default="")

    class Meta:
        ordering = ["host_id", "name"]
        constraints = [models.UniqueConstraint(fields=["host", "name"], name="vm_unique_name_per_host")]
        verbose_name = "virtual machine"

    def __str__(self) -> str:
        return f"{self.host.name}:{self.name}"


class VmNic(BaseModel):
    """A VM NIC: a tap device on ``switch``; the guest address is static or leased by DHCP."""

    vm = models.ForeignKey(VirtualMachine, on_delete=models.CASCADE, related_name="nics")
    index = models.PositiveSmallIntegerField(default=0)
    switch = models.ForeignKey("topology.Switch", on_delete=models.RESTRICT, related_name="vm_nics")
    address = IPv4InterfaceField(blank=True, default="")
    dhcp = models.BooleanField(default=False)
    mac = MacAddressField(blank=True, default="")
    mtu = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(576), MaxValueValidator(65535)]
    )
    private = models.BooleanField(default=False)

    class Meta:
        ordering = ["vm_id", "index", "id"]
        verbose_name = "VM NIC"

    def __str__(self) -> str:
        return f"{self.vm}:nic{self.index}"
