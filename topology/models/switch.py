"""Switches (bridges) on a host and their interface members."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.models.base import BaseModel, CanvasPlacedModel

from ..choices import SwitchKind
from ..fields import InterfaceNameField, IPv4InterfaceField


class Switch(CanvasPlacedModel):
    """A bridge on one host that jails, VMs, VXLAN and physical interfaces join."""

    host = models.ForeignKey("topology.Host", on_delete=models.CASCADE, related_name="switches")
    name = InterfaceNameField()
    kind = models.CharField(max_length=16, choices=SwitchKind.choices, default=SwitchKind.BRIDGE)
    address = IPv4InterfaceField(blank=True, default="")
    mtu = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(576), MaxValueValidator(65535)]
    )
    private = models.BooleanField(default=False, help_text="Mark every jail and VM member private")

    class Meta:
        ordering = ["host_id", "name"]
        constraints = [models.UniqueConstraint(fields=["host", "name"], name="switch_unique_name_per_host")]
        verbose_name_plural = "switches"

    def __str__(self) -> str:
        return f"{self.host.name}:{self.name}"


class SwitchPort(BaseModel):
    """A physical or VLAN interface that is a member of a switch (``addm``)."""

    switch = models.ForeignKey(Switch, on_delete=models.CASCADE, related_name="ports")
    interface = models.ForeignKey("topology.Interface", on_delete=models.RESTRICT, related_name="switch_ports")
    private = models.BooleanField(default=False)

    class Meta:
        ordering = ["switch_id", "interface__name"]
        constraints = [models.UniqueConstraint(fields=["switch", "interface"], name="switch_port_unique")]

    def __str__(self) -> str:
        return f"{self.switch}+{self.interface.name}"
