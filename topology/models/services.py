"""Network services on a host: outbound NAT, port redirects and DHCP."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.models.base import BaseModel

from ..choices import NatEngine, Protocol
from ..fields import IPv4AddressField, IPv4NetworkField, MacAddressField, validate_ifname
from ..validators import validate_dns_name, validate_lease_time

port_validators = [MinValueValidator(1), MaxValueValidator(65535)]


class OutboundNat(BaseModel):
    """Outbound NAT of a source network behind an interface's address."""

    host = models.ForeignKey("topology.Host", on_delete=models.CASCADE, related_name="nat_rules")
    interface = models.CharField(max_length=32, validators=[validate_ifname])
    source = IPv4NetworkField(blank=True, default="")
    engine = models.CharField(max_length=8, choices=NatEngine.choices, default=NatEngine.PF)

    class Meta:
        ordering = ["host_id", "interface", "source"]
        verbose_name = "outbound NAT"

    def __str__(self) -> str:
        return f"{self.host.name}: nat {self.source or 'all'} on {self.interface}"


class PortRedirect(BaseModel):
    """Inbound redirect (DNAT) of an external port to a jail, VM or address."""

    host = models.ForeignKey("topology.Host", on_delete=models.CASCADE, related_name="port_redirects")
    interface = models.CharField(max_length=32, validators=[validate_ifname])
    protocol = models.CharField(max_length=4, choices=Protocol.choices, default=Protocol.TCP)
    external_port = models.PositiveIntegerField(validators=port_validators)
    target_port = models.PositiveIntegerField(validators=port_validators)
    target_jail = models.ForeignKey(
        "topology.Jail", null=True, blank=True, on_delete=models.RESTRICT, related_name="port_redirects"
    )
    target_vm = models.ForeignKey(
        "topology.VirtualMachine", null=True, blank=True, on_delete=models.RESTRICT, related_name="port_redirects"
    )
    target_address = IPv4AddressField(blank=True, default="")

    class Meta:
        ordering = ["host_id", "interface", "protocol", "external_port", "id"]

    def __str__(self) -> str:
        return f"{self.host.name}: {self.protocol}/{self.external_port} on {self.interface}"


class DhcpService(BaseModel):
    """dnsmasq serving DHCP on one switch of a host."""

    host = models.ForeignKey("topology.Host", on_delete=models.CASCADE, related_name="dhcp_services")
    switch = models.OneToOneField("topology.Switch", on_delete=models.RESTRICT, related_name="dhcp_service")
    range_start = IPv4AddressField()
    range_end = IPv4AddressField()
    lease_time = models.CharField(max_length=16, default="12h", validators=[validate_lease_time])

    class Meta:
        ordering = ["host_id", "switch__name"]
        verbose_name = "DHCP service"

    def __str__(self) -> str:
        return f"{self.host.name}: dhcp on {self.switch.name}"


class DhcpStaticLease(BaseModel):
    """A DHCP reservation: a MAC address always gets ``address``."""

    service = models.ForeignKey(DhcpService, on_delete=models.CASCADE, related_name="static_leases")
    mac = MacAddressField()
    address = IPv4AddressField()
    hostname = models.CharField(max_length=253, blank=True, validators=[validate_dns_name])

    class Meta:
        ordering = ["service_id", "mac"]
        verbose_name = "DHCP static lease"

    def __str__(self) -> str:
        return f"{self.mac} -> {self.address}"
