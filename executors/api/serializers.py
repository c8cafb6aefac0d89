"""Serializers of the lab API."""

from __future__ import annotations

from rest_framework import serializers

from ..models import Job, JobStep, Lab, LabState, OutputStream


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
            "up_seconds", "content_hash", "last_check_at", "check_total", "check_matched", "check_mismatched",
            "check_seconds",
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
    built_from = serializers.CharField(help_text="Content hash of the design the running lab was built from")
    design_changed = serializers.BooleanField(
        help_text="The design changed since the lab was brought up: a check would measure the old design"
    )


class LabDetailSerializer(LabSerializer):
    """One lab with what is really on the machine (``live``)."""

    live = LabLiveSerializer(read_only=True)

    class Meta(LabSerializer.Meta):
        fields = [*LabSerializer.Meta.fields, "live"]
        read_only_fields = fields


class LabUpSerializer(serializers.Serializer):
    """Which design to bring up."""

    design = serializers.IntegerField(min_value=1, help_text="id of the design")


class LabCheckSerializer(serializers.Serializer):
    """How much of the matrix to measure (large designs)."""

    sample = serializers.IntegerField(
        min_value=1, max_value=1_000_000, required=False, help_text="Measure at most this many cells"
    )


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


class JobStepSerializer(serializers.ModelSerializer):
    """One host's (or phase's) part of a job: state, progress ``done`` of ``total``, timings."""

    class Meta:
        model = JobStep
        fields = ["name", "position", "state", "done", "total", "message", "started_at", "finished_at"]
        read_only_fields = fields


class JobSerializer(serializers.ModelSerializer):
    """A job: what it runs on, who asked and from where, where it is, how it ended, and its steps."""

    steps = JobStepSerializer(many=True, read_only=True)

    class Meta:
        model = Job
        fields = [
            "id", "kind", "design", "design_name", "content_hash", "change_request", "revision", "options",
            "requested_by", "requested_by_name", "source", "remote_addr", "state", "created", "started_at",
            "finished_at", "heartbeat_at", "worker", "cancel_requested_by", "cancel_requested_at", "message",
            "result", "last_seq", "output_bytes", "steps",
        ]  # fmt: skip
        read_only_fields = fields


class JobOutputChunkSerializer(serializers.Serializer):
    """A numbered chunk of a job's output (``t``: Unix time its first line was produced)."""

    seq = serializers.IntegerField()
    host = serializers.CharField()
    stream = serializers.ChoiceField(choices=OutputStream.choices)
    t = serializers.FloatField()

    def get_fields(self) -> dict[str, serializers.Field]:
        # ``data`` is the chunk's text; as a class attribute it would hide ``Serializer.data``.
        return {**super().get_fields(), "data": serializers.CharField()}


class JobOutputPageSerializer(serializers.Serializer):
    """Stored output of a job after a sequence number; ``more``: ask again with ``since=last``."""

    job = serializers.IntegerField()
    since = serializers.IntegerField()
    last = serializers.IntegerField(help_text="Sequence number of the last chunk here (``since`` when none)")
    more = serializers.BooleanField()
    chunks = JobOutputChunkSerializer(many=True)


class JobsAvailabilitySerializer(serializers.Serializer):
    """Whether jobs on hosts (the lab) can run now, and why not."""

    available = serializers.BooleanField()
    reason = serializers.CharField()
    workers = serializers.ListField(child=serializers.DictField())
