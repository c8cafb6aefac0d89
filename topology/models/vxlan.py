"""VXLAN segments and each host's member interface."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.models.base import BaseModel, CanvasPlacedModel

from ..choices import VxlanMode
from ..fields import InterfaceNameField, IPv4AddressField, IPv4InterfaceField, IPv4NetworkField
from ..validators import validate_segment_name


class VxlanSegment(CanvasPlacedModel):
    """A layer-2 segment stretched across hosts over the underlay, identified by its VNI.

    VNI range and uniqueness are validation rules (so imported documents can be told what is wrong),
    not database constraints.
    """

    design = models.ForeignKey("topology.Design", on_delete=models.CASCADE, related_name="vxlan_segments")
    name = models.CharField(max_length=64, validators=[validate_segment_name])
    vni = models.PositiveIntegerField()
    subnet = IPv4NetworkField(blank=True, default="")
    mtu = models.PositiveIntegerField(default=1450, validators=[MinValueValidator(576), MaxValueValidator(65535)])
    mode = models.CharField(max_length=16, choices=VxlanMode.choices, default=VxlanMode.MULTICAST)
    multicast_group = IPv4AddressField(blank=True, default="")
    udp_port = models.PositiveIntegerField(default=4789, validators=[MinValueValidator(1), MaxValueValidator(65535)])

    class Meta:
        ordering = ["design_id", "name"]
        constraints = [models.UniqueConstraint(fields=["design", "name"], name="vxlan_segment_unique_name")]

    def __str__(self) -> str:
        return f"{self.name} (VNI {self.vni})"


class VxlanMember(BaseModel):
    """One host's vxlan(4) interface of a segment, over an underlay interface, optionally on a switch."""

    segment = models.ForeignKey(VxlanSegment, on_delete=models.CASCADE, related_name="members")
    host = models.ForeignKey("topology.Host", on_delete=models.CASCADE, related_name="vxlan_members")
    interface_name = InterfaceNameField()
    underlay_interface = models.ForeignKey(
        "topology.Interface", on_delete=models.RESTRICT, related_name="vxlan_members"
    )
    local_address = IPv4AddressField(blank=True, default="")
    remote_address = IPv4AddressField(blank=True, default="")
    address = IPv4InterfaceField(blank=True, default="")
    switch = models.ForeignKey(
        "topology.Switch", null=True, blank=True, on_delete=models.RESTRICT, related_name="vxlan_members"
    )
    private = models.BooleanField(default=False)
    group_route = models.BooleanField(default=True, help_text="Add a static route for the multicast group")

    class Meta:
        ordering = ["segment_id", "host__name", "interface_name"]
        constraints = [
            models.UniqueConstraint(fields=["host", "interface_name"], name="vxlan_member_unique_ifname_per_host")
        ]

    def __str__(self) -> str:
        return f"{self.host.name}:{self.interface_name}"
