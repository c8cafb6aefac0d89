"""Firewall policies of hosts and VNET jails."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.models.base import BaseModel

from ..choices import FirewallEngine, IpfwType, RuleAction, RuleDirection, RuleProtocol
from ..fields import PfNetworkField, validate_ifname
from ..validators import validate_rule_comment


class FirewallPolicy(BaseModel):
    """The firewall of one host or one VNET jail (pf, or ipfw through rc.firewall)."""

    host = models.OneToOneField(
        "topology.Host", null=True, blank=True, on_delete=models.CASCADE, related_name="firewall"
    )
    jail = models.OneToOneField(
        "topology.Jail", null=True, blank=True, on_delete=models.CASCADE, related_name="firewall"
    )
    engine = models.CharField(max_length=8, choices=FirewallEngine.choices, default=FirewallEngine.PF)
    default_block = models.BooleanField(default=False)
    skip_loopback = models.BooleanField(default=True)
    antispoof = models.BooleanField(default=False)
    ipfw_type = models.CharField(max_length=16, choices=IpfwType.choices, default=IpfwType.OPEN)

    class Meta:
        verbose_name_plural = "firewall policies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(host__isnull=False, jail__isnull=True)
                | models.Q(host__isnull=True, jail__isnull=False),
                name="firewall_policy_host_xor_jail",
            )
        ]

    def __str__(self) -> str:
        return f"firewall of {self.host or self.jail}"


class FirewallRule(BaseModel):
    """One pf filter rule, evaluated in ``index`` order."""

    policy = models.ForeignKey(FirewallPolicy, on_delete=models.CASCADE, related_name="rules")
    index = models.PositiveIntegerField(default=0)
    action = models.CharField(max_length=8, choices=RuleAction.choices, default=RuleAction.PASS)
    direction = models.CharField(max_length=4, choices=RuleDirection.choices, default=RuleDirection.ANY)
    quick = models.BooleanField(default=False)
    interface = models.CharField(max_length=32, blank=True, validators=[validate_ifname])
    protocol = models.CharField(max_length=8, choices=RuleProtocol.choices, default=RuleProtocol.ANY)
    source = PfNetworkField(blank=True, default="", help_text="Network, optionally negated: !192.168.0.2")
    destination = PfNetworkField(blank=True, default="", help_text="Network, optionally negated: !192.168.0.2")
    port = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    comment = models.CharField(max_length=200, blank=True, validators=[validate_rule_comment])

    class Meta:
        ordering = ["policy_id", "index", "id"]

    def __str__(self) -> str:
        return f"{self.action} #{self.index}"
