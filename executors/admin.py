"""Admin of the executors room: labs are read-only here (the lab command and API change them)."""

from django.contrib import admin

from .models import Lab


@admin.register(Lab)
class LabAdmin(admin.ModelAdmin):
    """Labs with their state and last check."""

    list_display = ("design", "lab_id", "state", "started_at", "check_matched", "check_total", "check_mismatched")
    list_filter = ("state",)
    readonly_fields = [f.name for f in Lab._meta.fields]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False
