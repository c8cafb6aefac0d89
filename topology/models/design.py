"""A design: one named network workspace."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from core.models.base import BaseModel

from ..snapshot import CURRENT_RELEASE
from ..validators import validate_design_name, validate_free_text, validate_release

design_name_validator = validate_design_name


class Design(BaseModel):
    """A named network workspace: hosts with their interfaces, switches, jails and VMs, and VXLAN segments."""

    name = models.CharField(max_length=100, unique=True, validators=[design_name_validator])
    description = models.TextField(blank=True, validators=[validate_free_text])
    underlay_mtu = models.PositiveIntegerField(default=1500, validators=[MinValueValidator(576)])
    default_release = models.CharField(
        max_length=32,
        default=CURRENT_RELEASE,
        help_text="FreeBSD release of the design's hosts and jails unless they name their own",
        validators=[validate_release],
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who created the design (and answers for it)",
    )
    archived = models.BooleanField(default=False, help_text="Kept, but left out of the design list by default")
    required_approvals = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
