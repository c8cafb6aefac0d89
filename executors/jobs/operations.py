"""What each kind of job does: a function of the job and its log, returning the job's summary.

They run in the worker of the host-work queue (as root for the lab) and call the lab's services; a failure is
raised (:class:`OperationFailed` carries a summary too, e.g. that the lab is out of date).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from topology.models import Design

from ..lab.execute import ExecCancelled, lab_exec
from ..lab.services import LabStale, lab_run_check, lab_start, lab_state_dir, lab_stop
from ..models import Job, JobKind
from .log import JobCancelled, JobLog


class OperationFailed(Exception):
    """The operation did not do what was asked; ``result`` is the job's summary all the same."""

    def __init__(self, message: str, result: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.result = result or {}


def _design(job: Job) -> Design:
    if job.design is None:
        raise OperationFailed(f"the design {job.design_name} was deleted")
    return job.design


def lab_up_operation(job: Job, log: JobLog) -> dict[str, Any]:
    """Bring the design's lab up."""
    lab, result = lab_start(design=_design(job), keep_on_failure=bool(job.options.get("keep_on_failure")), progress=log)
    return {
        "message": f"lab up in {result.seconds}s: {result.hosts} hosts, {result.namespaces} namespaces",
        "hosts": result.hosts,
        "namespaces": result.namespaces,
        "commands": result.commands,
        "seconds": result.seconds,
        "content_hash": lab.content_hash,
        "warnings": result.warnings,
        "notes": result.notes,
    }


def lab_check_operation(job: Job, log: JobLog) -> dict[str, Any]:
    """Measure the running lab's reachability against the design's promise."""
    try:
        lab, report = lab_run_check(design=_design(job), sample=job.options.get("sample"), progress=log)
    except LabStale as exc:
        raise OperationFailed(str(exc), {"stale": True}) from exc
    mismatched = len(report.mismatched)
    summary = {
        "total": report.total,
        "matched": report.matched,
        "mismatched": mismatched,
        "seconds": report.seconds,
        "content_hash": lab.content_hash,
    }
    if mismatched:
        raise OperationFailed(f"{mismatched} of {report.total} cells differ from the design's promise", summary)
    return {"message": f"{report.matched}/{report.total} cells as expected in {report.seconds}s", **summary}


def lab_down_operation(job: Job, log: JobLog) -> dict[str, Any]:
    """Tear the design's lab down."""
    _lab, result = lab_stop(design=_design(job), progress=log)
    return {
        "message": f"lab down: {len(result.namespaces)} namespaces, {result.processes} processes removed",
        "namespaces": len(result.namespaces),
        "processes": result.processes,
    }


def lab_exec_operation(job: Job, log: JobLog) -> dict[str, Any]:
    """Run a command on one host of the running lab (options ``host``, ``argv``, ``timeout``)."""
    from topology.selectors import design_snapshot

    design = _design(job)
    host, argv = job.options["host"], job.options["argv"]
    log.line(f"{host}$ {' '.join(argv)}", host=host)
    try:
        status = lab_exec(
            design_snapshot(design=design),
            lab_state_dir(design.name),
            host=host,
            argv=argv,
            progress=log,
            cancelled=log.cancelled,
            timeout=float(job.options.get("timeout", 3600)),
        )
    except ExecCancelled as exc:
        raise JobCancelled(str(exc)) from exc
    if status != 0:
        raise OperationFailed(f"{host}: exited {status}", {"exit_status": status})
    return {"message": f"{host}: exited 0", "exit_status": 0}


def diagnostic_operation(job: Job, log: JobLog) -> dict[str, Any]:
    """A diagnostic on one host, or "Check drift" on every host of the design (``executors.diagnostics``)."""
    from ..diagnostics.services import DiagnosticFailed, diagnostic_run, drift_run

    try:
        return (drift_run if job.kind == JobKind.DRIFT_CHECK else diagnostic_run)(job, log)
    except DiagnosticFailed as exc:
        raise OperationFailed(str(exc), exc.result) from exc


OPERATIONS: dict[str, Callable[[Job, JobLog], dict[str, Any]]] = {
    JobKind.LAB_UP: lab_up_operation,
    JobKind.LAB_CHECK: lab_check_operation,
    JobKind.LAB_DOWN: lab_down_operation,
    JobKind.LAB_EXEC: lab_exec_operation,
    JobKind.DIAGNOSTIC: diagnostic_operation,
    JobKind.DRIFT_CHECK: diagnostic_operation,
}
