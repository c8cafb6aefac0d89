"""A diagnostic run: what a diagnostic job ran where (its checked argv), and what came back — the parsed
records, the lines no parser understood, a capture's pcap file, or a drift check's findings.

Kept with its job (one row per diagnostic or drift-check job, deleted with it): the job holds the state, the
audit entries and the streamed output; this row holds the bulky results, read only by the diagnostics API
(a job's ``result`` is sent to every job list, so it carries only counts).
"""

from __future__ import annotations

from django.db import models

# A pcap is stored in the database: bounded by the capture's byte limit, never above this (100 MiB, the
# largest byte limit a capture may be given, plus the file header).
PCAP_MAX_BYTES = 100 * 1024 * 1024 + 24


class DiagnosticRun(models.Model):
    """What a diagnostic (or drift-check) job ran and read back."""

    job = models.OneToOneField("executors.Job", primary_key=True, on_delete=models.CASCADE, related_name="diagnostic")
    diagnostic = models.CharField(max_length=40, help_text="Catalogue id of the diagnostic; 'drift' for a check")
    host = models.CharField(max_length=100, blank=True, help_text="The design's host it ran on (empty: every host)")
    jail = models.CharField(max_length=64, blank=True, help_text="The jail it ran inside, if any")
    target = models.CharField(max_length=16, help_text="lab (the design's lab) or freebsd (a registered host)")
    parameters = models.JSONField(default=dict, blank=True, help_text="The parameters as checked")
    argv = models.JSONField(default=list, blank=True, help_text="The command run, one element per argument")
    parser = models.CharField(max_length=40, blank=True)
    records = models.JSONField(default=list, blank=True, help_text="Parsed records (capped, see records_total)")
    records_total = models.PositiveIntegerField(default=0)
    unparsed = models.JSONField(default=list, blank=True, help_text="Lines no parser understood: [number, text]")
    findings = models.JSONField(default=list, blank=True, help_text="Drift findings, each linked to a design object")
    exit_status = models.IntegerField(null=True, blank=True)
    pcap = models.BinaryField(null=True, blank=True, help_text="The capture as a pcap file (captures only)")
    pcap_bytes = models.PositiveIntegerField(default=0)
    pcap_packets = models.PositiveIntegerField(default=0)
    pcap_truncated = models.BooleanField(default=False, help_text="The file reached the capture's byte limit")

    class Meta:
        ordering = ["-job"]

    def __str__(self) -> str:
        return f"{self.diagnostic} on {self.host or 'every host'} (job {self.job_id})"
