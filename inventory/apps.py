"""App config of the inventory room."""

from django.apps import AppConfig


class InventoryConfig(AppConfig):
    """Managed machines, their credentials (encrypted at rest) and pinned host keys."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "inventory"
    verbose_name = "Inventory"

    def ready(self) -> None:
        from core.audit import register_audited

        from .models import Credential, ManagedHost

        # Inventory objects belong to no design: their history is found by object.
        register_audited(Credential)
        register_audited(ManagedHost)
