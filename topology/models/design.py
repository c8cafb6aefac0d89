"""A design: one named network workspace."""

from django.core.validators import MinValueValidator
from django.db import models

from core.models.base import BaseModel

from ..validators import validate_design_name, validate_free_text

design_name_validator = validate_design_name


class Design(BaseModel):
    """A named network workspace: hosts with their interfaces, switches, jails and VMs, and VXLAN segments."""

    name = models.CharField(max_length=100, unique=True, validators=[design_name_validator])
    description = models.TextField(blank=True, validators=[validate_free_text])
    underlay_mtu = models.PositiveIntegerField(default=1500, validators=[MinValueValidator(576)])
    required_approvals = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
