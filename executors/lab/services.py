"""Lab services: bring a design's lab up, check it, tear it down, and keep the ``Lab`` row in step.

The work is done by :mod:`executors.lab.lifecycle` (no database); these functions load the design's
snapshot, call it, and record the outcome. They take minutes at most and hold no transaction open meanwhile.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from core.audit import record_operation, serialize_for_audit
from topology.changes.freeze import content_hash
from topology.models import Design
from topology.render.lab import lab_id
from topology.selectors import design_snapshot

from ..models import Lab, LabState
from . import lifecycle
from .common import Progress
from .lifecycle import CheckReport, DownResult, LabError, UpResult


class LabStale(LabError):
    """The design changed since its lab was brought up: a check would measure the old design's lab against the
    new design's promise. Bring the lab up again."""


def lab_state_dir(design_name: str) -> Path:
    """Where the lab of ``design_name`` keeps its keys, configuration and pid files."""
    return Path(settings.VAR_DIR) / "lab" / design_name


def design_by_name_or_document(value: str) -> Design:
    """The design called ``value``, or the design a YAML file at path ``value`` describes (imported first)."""
    path = Path(value)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        from topology.services.designs import design_import_document

        design, _ = design_import_document(document_text=path.read_text())
        return design
    try:
        return Design.objects.get(name=value)
    except Design.DoesNotExist as exc:
        raise LabError(f"no design called {value!r} (and no such YAML file)") from exc


# A check's cells are its report (``GET /api/labs/<id>/report/``); the audit history keeps the counts.
AUDIT_OMITTED = ("check_cells",)


def _lab_row(design: Design) -> tuple[Lab, dict[str, Any] | None]:
    """The lab row of ``design`` and its audit form before the operation (None: the row is new)."""
    lab, created = Lab.objects.get_or_create(design=design, defaults={"lab_id": lab_id(design.name)})
    return lab, None if created else serialize_for_audit(lab)


def _finish(lab: Lab, before: dict[str, Any] | None) -> None:
    """Save what the operation changed on the row, and record it in the audit history."""
    lab.save()
    record_operation(lab, before, omit=AUDIT_OMITTED)


def _forget_check(lab: Lab) -> None:
    """Drop the last check of ``lab``: it measured a lab that is about to be replaced."""
    lab.last_check_at, lab.check_seconds, lab.check_cells = None, None, []
    lab.check_total = lab.check_matched = lab.check_mismatched = 0


def lab_start(
    *, design: Design, keep_on_failure: bool = False, progress: Progress | None = None
) -> tuple[Lab, UpResult]:
    """Bring the lab of ``design`` up; on failure the row says ``failed`` with the reason, and it raises.

    The last check is forgotten first: ``up`` tears an earlier lab down, and the new one has not been checked.
    The lab keeps the content hash of the snapshot it was built from, so that a check can tell a changed design.
    """
    lifecycle.require_root()
    snapshot = design_snapshot(design=design)
    lab, before = _lab_row(design)
    lab.started_at, lab.finished_at, lab.message = timezone.now(), None, ""
    lab.content_hash = ""
    _forget_check(lab)
    lab.save()  # the page shows the start at once; the history records the whole operation below
    try:
        result = lifecycle.lab_up(
            snapshot, lab_state_dir(design.name), keep_on_failure=keep_on_failure, progress=progress
        )
    except BaseException as exc:  # cancelled or interrupted too: the row must not say the lab is coming up
        lab.state, lab.message, lab.finished_at = LabState.FAILED, str(exc) or type(exc).__name__, timezone.now()
        _finish(lab, before)
        raise
    lab.state, lab.lab_id, lab.content_hash = LabState.UP, result.lab_id, content_hash(snapshot)
    lab.notes, lab.message = result.notes, "\n".join(result.warnings)
    lab.up_seconds, lab.finished_at = result.seconds, timezone.now()
    _finish(lab, before)
    return lab, result


def lab_stop(*, design: Design, progress: Progress | None = None) -> tuple[Lab, DownResult]:
    """Tear the lab of ``design`` down (idempotent)."""
    lifecycle.require_root()
    result = lifecycle.lab_down(design.name, lab_state_dir(design.name), progress=progress)
    lab, before = _lab_row(design)
    lab.state, lab.finished_at, lab.content_hash = LabState.DOWN, timezone.now(), ""
    _finish(lab, before)
    return lab, result


def lab_run_check(
    *, design: Design, sample: int | None = None, progress: Progress | None = None
) -> tuple[Lab, CheckReport]:
    """Measure the reachability matrix of the running lab and record it, counts and every cell.

    The cells are kept as the check answers them (``CheckReport.as_dict()``), so that whoever opens the lab
    later sees the matrix that was measured, not only its counts. Raises :class:`LabStale` when the design
    changed since the lab was brought up (the lab is the old design; its cells would be false mismatches).
    """
    lifecycle.require_root()
    snapshot = design_snapshot(design=design)
    lab, before = _lab_row(design)
    now_hash = content_hash(snapshot)
    if lab.content_hash and lab.content_hash != now_hash:
        raise LabStale(
            f"{design.name} changed since its lab was brought up (lab built from {lab.content_hash[:12]}, "
            f"design now {now_hash[:12]}): bring the lab up again before checking it"
        )
    report = lifecycle.lab_check(snapshot, lab_state_dir(design.name), sample=sample, progress=progress)
    measured = report.as_dict()
    lab.last_check_at = timezone.now()
    lab.check_total, lab.check_matched = measured["total"], measured["matched"]
    lab.check_mismatched, lab.check_seconds = measured["mismatched"], measured["seconds"]
    lab.check_cells = measured["cells"]
    _finish(lab, before)
    return lab, report


def lab_current_status(*, design: Design) -> dict:
    """The recorded and the real state of the lab of ``design``."""
    status = lifecycle.lab_status(design.name, lab_state_dir(design.name))
    lab = Lab.objects.filter(design=design).first()
    status["recorded_state"] = lab.state if lab else LabState.DOWN
    status["built_from"] = lab.content_hash if lab else ""
    # Only a lab that is up can be out of date; the page then offers to bring it up again.
    status["design_changed"] = bool(
        lab and lab.state == LabState.UP and lab.content_hash
        and lab.content_hash != content_hash(design_snapshot(design=design))
    )  # fmt: skip
    return status
