"""Serializers of the lab API."""

from __future__ import annotations

from rest_framework import serializers

from ..models import Lab, LabState


class LabSerializer(serializers.ModelSerializer):
    """A design's lab: state, what is not emulated, and the counts of its last check (its cells: ``report``)."""

    design_name = serializers.CharField(source="design.name", read_only=True)
    notes = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="What of the design the lab does not emulate"
    )

    class Meta:
        model = Lab
        fields = [
            "id", "design", "design_name", "lab_id", "state", "message", "notes", "started_at", "finished_at",
            "up_seconds", "last_check_at", "check_total", "check_matched", "check_mismatched", "check_seconds",
        ]  # fmt: skip
        read_only_fields = fields


class LabLiveSerializer(serializers.Serializer):
    """What is really on the machine for a lab (namespaces present, processes alive), next to the recorded state."""

    design = serializers.CharField()
    lab_id = serializers.CharField()
    state = serializers.CharField(help_text="What the lab's state file says (``down`` when nothing is there)")
    namespaces_expected = serializers.IntegerField()
    namespaces_present = serializers.IntegerField()
    processes = serializers.IntegerField()
    sshd_alive = serializers.IntegerField()
    started = serializers.CharField(allow_null=True, help_text="When the lab was brought up (ISO 8601, UTC)")
    error = serializers.CharField(allow_null=True)
    recorded_state = serializers.ChoiceField(choices=LabState.choices, help_text="The state on the lab's row")


class LabDetailSerializer(LabSerializer):
    """One lab with what is really on the machine (``live``)."""

    live = LabLiveSerializer(read_only=True)

    class Meta(LabSerializer.Meta):
        fields = [*LabSerializer.Meta.fields, "live"]
        read_only_fields = fields


class LabUpSerializer(serializers.Serializer):
    """Which design to bring up."""

    design = serializers.IntegerField(min_value=1, help_text="id of the design")


class CheckCellSerializer(serializers.Serializer):
    """One cell of the reachability matrix: expected and measured."""

    # A field named like Field.source: DRF's serializer metaclass moves declared fields out of the class attributes.
    source = serializers.CharField()  # type: ignore[assignment]
    target = serializers.CharField()
    address = serializers.CharField()
    protocol = serializers.ChoiceField(choices=["icmp", "tcp"])
    port = serializers.IntegerField(allow_null=True)
    expected = serializers.BooleanField()
    measured = serializers.BooleanField()
    matches = serializers.BooleanField()
    reason = serializers.CharField()
    detail = serializers.CharField()


class CheckReportSerializer(serializers.Serializer):
    """Expected vs measured reachability of a lab."""

    design = serializers.CharField()
    total = serializers.IntegerField()
    matched = serializers.IntegerField()
    mismatched = serializers.IntegerField()
    seconds = serializers.FloatField()
    cells = CheckCellSerializer(many=True)


class LabCheckReportSerializer(CheckReportSerializer):
    """The last check of a lab as it is kept on its row: the check's report, and when it was measured."""

    design = serializers.CharField(source="design.name")
    total = serializers.IntegerField(source="check_total")
    matched = serializers.IntegerField(source="check_matched")
    mismatched = serializers.IntegerField(source="check_mismatched")
    seconds = serializers.FloatField(source="check_seconds")
    cells = CheckCellSerializer(many=True, source="check_cells")
    checked_at = serializers.DateTimeField(source="last_check_at", help_text="When the check was measured")
