"""What each kind of job does: a function of the job and its log, returning the job's summary.

They run in the worker of the host-work queue (as root for the lab) and call the lab's services; a failure is
raised (:class:`OperationFailed` carries a summary too, e.g. that the lab is out of date).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from topology.models import Design

from ..lab.execute import ExecCancelled, lab_exec, lab_exec_stop
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
            started=lambda session: log.remote_started(host, session),
        )
    except ExecCancelled as exc:
        raise JobCancelled(str(exc)) from exc
    if status != 0:
        raise OperationFailed(f"{host}: exited {status}", {"exit_status": status})
    return {"message": f"{host}: exited 0", "exit_status": 0}


def stop_remote_sessions(job: Job) -> list[dict[str, Any]]:
    """Stop what ``job`` (interrupted: its worker died) left running on hosts; return what was done per session.

    Runs in a worker of the host-work queue (root, the lab's keys); a lab torn down since has nothing left."""
    from topology.selectors import design_snapshot

    done = []
    for entry in job.remote_sessions:
        host, session = str(entry.get("host", "")), int(entry.get("session", 0))
        outcome = "lab gone"
        if job.design is not None and session > 1:
            snapshot, state_dir = design_snapshot(design=job.design), lab_state_dir(job.design.name)
            try:
                if lab_exec_stop(snapshot, state_dir, host=host, session=session):
                    outcome = "stopped"
            except Exception as exc:  # the host is unreachable: say so in the job
                outcome = f"could not stop: {type(exc).__name__}: {exc}"
        done.append({"host": host, "session": session, "outcome": outcome})
    return done


def deploy_operation(job: Job, log: JobLog) -> dict[str, Any]:
    """Deploy a change request (option ``deployment``): per-host steps and lines, outcomes recorded as they come.

    Succeeds when every host ended deployed or unchanged; a cancel ends it ``cancelled`` (hosts whose apply had
    not started are left untouched); otherwise it fails with the deployment's outcome as its message."""
    from ..deploy.models import DeploymentState
    from ..deploy.services import JobReporter, deployment_run

    deployment = deployment_run(
        deployment_id=int(job.options["deployment"]), reporter=JobReporter(log), cancelled=log.cancelled
    )
    summary = {
        "deployment": deployment.pk,
        "state": deployment.state,
        "hosts": dict(deployment.hosts.values_list("host_name", "outcome")),
        "verify": deployment.verify,
    }
    if log.cancelled.is_set():
        raise JobCancelled(f"deployment {deployment.state.replace('_', ' ')}: {deployment.message}")
    text = f"deployment {deployment.pk} {deployment.state.replace('_', ' ')}: {deployment.message}"
    if deployment.state != DeploymentState.DEPLOYED:
        raise OperationFailed(text, summary)
    return {"message": text, **summary}


def host_test_operation(job: Job, log: JobLog) -> dict[str, Any]:
    """Test the connection of a registered host (option ``managed_host``): its key, or its login and facts."""
    from ..hosts.contact import managed_host_test_connection

    result = managed_host_test_connection(host_id=int(job.options["managed_host"]), progress=log)
    summary = {
        "ok": result.ok,
        "host_key_state": result.host_key_state,
        "offered_fingerprint": result.offered_fingerprint,
        "facts": result.facts,
        "error": result.error,
    }
    if result.error:
        raise OperationFailed(result.error, summary)
    if not result.ok:
        return {"message": f"host key offered ({result.offered_fingerprint}): confirm it to log in", **summary}
    return {"message": f"logged in: {result.facts.get('system')} {result.facts.get('release')}", **summary}


def diagnostic_operation(job: Job, log: JobLog) -> dict[str, Any]:
    """A diagnostic on one host, or "Check drift" on every host of the design (``executors.diagnostics``)."""
    from ..diagnostics.services import DiagnosticFailed, diagnostic_run, drift_run

    try:
        return (drift_run if job.kind == JobKind.DRIFT_CHECK else diagnostic_run)(job, log)
    except DiagnosticFailed as exc:
        raise OperationFailed(str(exc), exc.result) from exc


def deploy_plan_operation(job: Job, log: JobLog) -> dict[str, Any]:
    """The live plan of a change request (options ``change_request``, ``target``): what a deploy would do."""
    from ..deploy.planning import PlanRefused, change_request_plan

    try:
        plans = change_request_plan(
            change_request_id=int(job.options["change_request"]), target=job.options["target"], progress=log
        )
    except PlanRefused as exc:
        raise OperationFailed(str(exc)) from exc
    summary = {"change_request": int(job.options["change_request"]), "target": job.options["target"],
               "hosts": [p.as_dict() for p in plans]}  # fmt: skip
    failed = [p.host for p in plans if p.error]
    if failed:
        raise OperationFailed(f"no plan for {', '.join(failed)}", summary)
    warned = sum(len(p.warnings) for p in plans)
    changing = [p.host for p in plans if not p.unchanged]
    text = f"{len(changing)} of {len(plans)} hosts would change" + (
        f", {warned} management-path warnings" if warned else ""
    )
    return {"message": text, **summary}


OPERATIONS: dict[str, Callable[[Job, JobLog], dict[str, Any]]] = {
    JobKind.LAB_UP: lab_up_operation,
    JobKind.LAB_CHECK: lab_check_operation,
    JobKind.LAB_DOWN: lab_down_operation,
    JobKind.LAB_EXEC: lab_exec_operation,
    JobKind.DEPLOY: deploy_operation,
    JobKind.HOST_TEST: host_test_operation,
    JobKind.DIAGNOSTIC: diagnostic_operation,
    JobKind.DRIFT_CHECK: diagnostic_operation,
    JobKind.DEPLOY_PLAN: deploy_plan_operation,
}
