"""App config of the inventory room."""

from django.apps import AppConfig


class InventoryConfig(AppConfig):
    """Managed machines, their credentials (encrypted at rest) and pinned host keys."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "inventory"
    verbose_name = "Inventory"
