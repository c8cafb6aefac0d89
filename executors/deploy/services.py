"""Deployments: create one for an approved change request as a job, run it host by host, record every outcome.

``deployment_create`` (web request): the request moves to ``deploying`` (topology's rules: approved, current,
operator), the deployment, one row per host and its job (kind ``deploy``, on the host-work queue; one operation
per design at a time) are written and audited; the job is enqueued on commit. ``deployment_retry`` runs only the
hosts that did not end deployed or unchanged again, in a new job.
``deployment_run`` (the job's operation, in a worker): builds each host's bundle into its row (so any worker can
deploy any host; nothing is read from a worker's disk), deploys the hosts concurrently with :mod:`.pipeline`
(steps and lines into the job's log), records each outcome as it comes, verifies (lab: the reachability check),
and finishes the request: ``deployed`` (a revision is recorded), ``partly_deployed``, ``failed`` or
``rolled_back``. A cancel stops the hosts whose apply has not started (``cancelled``: nothing applied); the
others run to their truthful end. A job that ends without finishing its deployment (its worker was killed: the
reaper marks it interrupted) leaves the deployment ``interrupted`` (:func:`deployment_follow_job`).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from core.audit import record_operation, serialize_for_audit
from inventory.choices import HostKeyState
from inventory.models import ManagedHost
from topology.changes.services import (
    ChangeRequestConflict,
    deployment_finish,
    deployment_restart,
    deployment_start,
)
from topology.design_io import load_document, snapshot_from_document
from topology.models import ChangeRequest, ChangeRequestState, Design, Host
from topology.render.bundle import Bundle
from topology.render.freebsd.bundle import freebsd_bundle

from ..jobs.services import job_create
from ..models import Job, JobKind, JobState
from .models import (
    FINISHED_STATES,
    RETRYABLE_OUTCOMES,
    Deployment,
    DeploymentHost,
    DeploymentState,
    DeploymentTarget,
    HostOutcome,
)
from .pipeline import DeployReporter, HostDeploy, HostResult, Outcome, deploy_hosts

log = logging.getLogger(__name__)
ACTIVE_STATES = (DeploymentState.QUEUED, DeploymentState.RUNNING)
FREEBSD_ROOT = "/var/db/jailnet"
MIN_CONFIRM_SECONDS, MAX_CONFIRM_SECONDS = 2, 3600
# The steps of a host's deploy, in order (the pipeline's and its agent's); a job step's progress is the index.
PHASES = ("connect", "stage", "check", "backup", "arm", "apply", "confirm", "disarm", "verify")
# Steps after which a cancel still leaves the host untouched: its apply has not started.
BEFORE_APPLY = ("", "connect", "stage", "check", "backup")
STEP_MARK = "@@step "  # the agent's step lines (the pipeline reports them as steps too)


class DeploymentConflict(ChangeRequestConflict):
    """A deployment that cannot start (a host already being deployed, a host not mapped or not pinned)."""


def _inventory_hosts(cr: ChangeRequest, host_names: list[str]) -> dict[str, Any]:
    """The registered host each design host is mapped to; refuse unmapped or unpinned ones."""
    mapped = {h.name: h.managed_host for h in Host.objects.filter(design=cr.design).select_related("managed_host")}
    problems = []
    for name in host_names:
        managed = mapped.get(name)
        if managed is None:
            problems.append(f"{name} is not mapped to a registered host")
        elif managed.host_key_state != HostKeyState.PINNED:
            state = managed.get_host_key_state_display().lower()
            problems.append(f"{name} -> {managed.name}: its host key is not pinned ({state}); pin it in the inventory")
    if problems:
        raise DeploymentConflict("cannot deploy to registered hosts: " + "; ".join(problems))
    return {name: mapped[name] for name in host_names}


def _refuse_busy_hosts(*, design_id: int, target: str, managed: list[ManagedHost], exclude: int | None = None) -> None:
    busy = DeploymentHost.objects.filter(deployment__state__in=ACTIVE_STATES)
    busy = (
        busy.filter(managed_host__in=[m.pk for m in managed])
        if managed
        else busy.filter(deployment__design_id=design_id, deployment__target=target)
    )
    if exclude is not None:
        busy = busy.exclude(deployment_id=exclude)
    if busy.exists():
        raise DeploymentConflict(f"another deployment is running on these hosts ({busy.first()})")


def _deploy_job(deployment: Deployment, design: Design, remote_addr: str | None) -> Job:
    return job_create(
        kind=JobKind.DEPLOY,
        design=design,
        content_hash=deployment.change_request.content_hash,
        change_request=deployment.change_request,
        options={"deployment": deployment.pk, "target": deployment.target},
        remote_addr=remote_addr,
    )


@transaction.atomic
def deployment_create(
    *, change_request: ChangeRequest, user: Any, target: str, confirm_seconds: int = 120, remote_addr: str | None = None
) -> Deployment:
    """Start deploying an approved request to its lab or its registered hosts, as a job enqueued on commit.

    Raises :class:`DeploymentConflict` (a host unmapped, unpinned or busy; the request not deployable) or
    :class:`executors.jobs.services.JobConflict` (another operation holds the design). Nothing is saved then.
    """
    if target not in DeploymentTarget.values:
        raise DeploymentConflict(f"unknown target {target!r}")
    if not MIN_CONFIRM_SECONDS <= confirm_seconds <= MAX_CONFIRM_SECONDS:
        raise DeploymentConflict(f"the confirm timer must be {MIN_CONFIRM_SECONDS}-{MAX_CONFIRM_SECONDS} seconds")
    host_names = list(change_request.hosts.order_by("host_name").values_list("host_name", flat=True))
    managed = _inventory_hosts(change_request, host_names) if target == DeploymentTarget.INVENTORY else {}
    _refuse_busy_hosts(design_id=change_request.design_id, target=target, managed=list(managed.values()))
    cr = deployment_start(change_request=change_request, user=user)
    deployment = Deployment.objects.create(
        change_request=cr, design_id=cr.design_id, design_name=cr.design.name, target=target,
        confirm_seconds=confirm_seconds, requested_by=user, requested_by_name=user.get_username(),
    )  # fmt: skip
    DeploymentHost.objects.bulk_create(
        [DeploymentHost(deployment=deployment, host_name=n, managed_host=managed.get(n)) for n in host_names]
    )
    before = serialize_for_audit(deployment)
    record_operation(deployment, None)
    deployment.job = _deploy_job(deployment, cr.design, remote_addr)
    deployment.save(update_fields=["job"])
    record_operation(deployment, before)
    return deployment


@transaction.atomic
def deployment_retry(*, deployment: Deployment, user: Any, remote_addr: str | None = None) -> Deployment:
    """Deploy again, in a new job, only the hosts of a finished deployment that did not end deployed or
    unchanged (failed, unreachable, rolled back, cancelled, interrupted); the request goes back to deploying."""
    deployment = Deployment.objects.select_for_update().select_related("change_request").get(pk=deployment.pk)
    if deployment.state not in FINISHED_STATES:
        raise DeploymentConflict(f"deployment {deployment.pk} is still {deployment.state}")
    rows = list(deployment.hosts.filter(outcome__in=RETRYABLE_OUTCOMES).select_related("managed_host"))
    if not rows:
        raise DeploymentConflict("every host of this deployment is deployed or unchanged: nothing to retry")
    cr = deployment.change_request
    latest = Deployment.objects.filter(change_request=cr).order_by("-created", "-id").first()
    if latest is not None and latest.pk != deployment.pk:
        raise DeploymentConflict(f"deployment {latest.pk} of this request came later: retry that one")
    if deployment.target == DeploymentTarget.INVENTORY:
        _inventory_hosts(cr, [r.host_name for r in rows])
    managed = [r.managed_host for r in rows if r.managed_host is not None]
    _refuse_busy_hosts(design_id=deployment.design_id, target=deployment.target, managed=managed,
                       exclude=deployment.pk)  # fmt: skip
    if cr.state == ChangeRequestState.DEPLOYING:  # interrupted before the request was finished
        raise DeploymentConflict("the request is still deploying")
    cr = deployment_restart(change_request=cr, user=user)
    for row in rows:
        before = serialize_for_audit(row)
        row.outcome, row.reason, row.changes, row.timings = HostOutcome.PENDING, "", [], {}
        row.started_at = row.finished_at = None
        row.save()
        record_operation(row, before, omit=("bundle",))
    before = serialize_for_audit(deployment)
    deployment.state, deployment.message, deployment.verify = DeploymentState.QUEUED, "", {}
    deployment.finished_at = None
    deployment.requested_by, deployment.requested_by_name = user, user.get_username()
    deployment.job = _deploy_job(deployment, cr.design, remote_addr)
    deployment.save()
    record_operation(deployment, before)
    return deployment


def _bundles(deployment: Deployment) -> dict[str, tuple[Bundle, Any]]:
    """Each host's bundle and SSH access, built from the request's frozen document (not the live design)."""
    snapshot = snapshot_from_document(load_document(deployment.change_request.document))
    if deployment.target == DeploymentTarget.LAB:
        from executors.lab.lifecycle import Lab
        from executors.lab.services import lab_state_dir
        from topology.render.lab.bundle import lab_bundle

        lab = Lab(snapshot, lab_state_dir(deployment.design_name))
        return {h.name: (lab_bundle(h), lab) for h in lab.plan.hosts}
    return {h.name: (freebsd_bundle(snapshot, h.name), None) for h in snapshot.hosts}


@transaction.atomic
def deployment_host_record(
    *, host: DeploymentHost, result: HostResult | None = None, outcome: str = "", reason: str = ""
) -> DeploymentHost:
    """Record one host's outcome (audited: who deployed what to which host, and how it ended): the pipeline's
    ``result``, or an ``outcome`` of the job itself (cancelled, interrupted) with its ``reason``."""
    host = DeploymentHost.objects.select_for_update().get(pk=host.pk)
    before = serialize_for_audit(host)
    if result is not None:
        host.outcome = str(result.outcome)
        host.reason, host.changes, host.timings = result.reason, result.changes, result.timings
    else:
        host.outcome, host.reason = outcome, reason
    host.finished_at = timezone.now()
    host.save()
    record_operation(host, before, omit=("bundle",))
    return host


def _final_state(outcomes: list[str]) -> str:
    good = {HostOutcome.DEPLOYED, HostOutcome.UNCHANGED}
    if all(o in good for o in outcomes):
        return DeploymentState.DEPLOYED
    if any(o in good for o in outcomes):
        return DeploymentState.PARTLY_DEPLOYED
    if any(o == HostOutcome.ROLLED_BACK for o in outcomes):
        return DeploymentState.ROLLED_BACK
    return DeploymentState.FAILED


@transaction.atomic
def deployment_complete(
    *, deployment: Deployment, verify: dict[str, Any] | None = None, state: str | None = None, note: str = ""
) -> Deployment:
    """Finish the deployment from its hosts' outcomes (or as ``state``: interrupted), and the change request
    with it: deployed (a revision), partly deployed, failed or rolled back."""
    deployment = Deployment.objects.select_for_update().get(pk=deployment.pk)
    if deployment.state in FINISHED_STATES:
        return deployment
    before = serialize_for_audit(deployment)
    outcomes = list(deployment.hosts.values_list("outcome", flat=True))
    outcome = _final_state(outcomes)
    deployment.state = state or outcome
    deployment.verify = verify or {}
    deployment.finished_at = timezone.now()
    counts = {o: outcomes.count(o) for o in sorted(set(outcomes))}
    deployment.message = ", ".join(f"{n} {o.replace('_', ' ')}" for o, n in counts.items())
    if note:
        deployment.message = f"{note}; {deployment.message}"
    deployment.save()
    record_operation(deployment, before)
    cr = ChangeRequest.objects.get(pk=deployment.change_request_id)
    if cr.state == ChangeRequestState.DEPLOYING:
        deployment_finish(change_request=cr, user=deployment.requested_by, outcome=outcome,
                          reason=deployment.message)  # fmt: skip
    return deployment


class JobReporter:
    """A deploy's progress into its job: one job step per host (``done`` of the nine phases, its outcome at the
    end), every step and line of the host in the job's log. Never waits for the database (the log's writer
    thread stores and sends)."""

    def __init__(self, job_log: Any) -> None:
        self.log = job_log
        self.last: dict[str, str] = {}  # host -> the last step it reported

    def step(self, host: str, step: str, detail: str = "") -> None:
        if not step:
            return
        first = host not in self.last
        self.last[host] = step
        done = PHASES.index(step) + 1 if step in PHASES else None
        # "running" once: it stamps the host's start (its bar's timing covers the whole deploy of the host).
        self.log.step(host, state="running" if first else None, done=done, total=len(PHASES), message=step)
        self.log.line(f"{step} {detail}".rstrip(), host=host)

    def output(self, host: str, stream: str, line: str) -> None:
        if line.startswith(STEP_MARK):  # told by step() already
            return
        self.log.write(line.rstrip("\n") + "\n", host=host, stream=stream)

    def outcome(self, host: str, outcome: str, reason: str = "") -> None:
        good = outcome in (HostOutcome.DEPLOYED, HostOutcome.UNCHANGED)
        text = outcome.replace("_", " ") + (f": {reason}" if reason else "")
        self.log.step(host, state="succeeded" if good else "failed", done=len(PHASES), total=len(PHASES),
                      message=text)  # fmt: skip
        self.log.line(text, host=host)


class _LogReporter:
    """Steps and lines of each host to the Python log (a deployment run outside a job: tests, a shell)."""

    def __init__(self, deployment_id: int) -> None:
        self.prefix = f"deployment {deployment_id}"
        self.last: dict[str, str] = {}

    def step(self, host: str, step: str, detail: str = "") -> None:
        if step:
            self.last[host] = step
            log.info("%s %s: %s %s", self.prefix, host, step, detail)

    def output(self, host: str, stream: str, line: str) -> None:
        log.debug("%s %s %s: %s", self.prefix, host, stream, line)

    def outcome(self, host: str, outcome: str, reason: str = "") -> None:
        log.info("%s %s: %s %s", self.prefix, host, outcome, reason)


def _record_in_thread(context: contextvars.Context, row: DeploymentHost, **kwargs: Any) -> None:
    """Record an outcome from the deploy's event loop (a thread of its own, with its own connection), in the
    change context of the run (who deploys, from where: the audit's attribution)."""
    try:
        close_old_connections()
        context.copy().run(lambda: deployment_host_record(host=row, **kwargs))
    finally:
        connection.close()


def _constant(transport: Any) -> Any:
    return lambda _deploy: transport


class _Cancelling:
    """Forwards a run's progress; once cancelled, stops a host the moment it reports a step before its apply."""

    def __init__(self, reporter: Any, cancelled: threading.Event | None) -> None:
        self.reporter = reporter
        self.cancelled = cancelled
        self.tasks: dict[str, asyncio.Future[list[HostResult]]] = {}
        self.stopped: dict[str, str] = {}

    def stop_before_apply(self) -> None:
        """Stop every unfinished host whose last step is before its apply."""
        for name, task in self.tasks.items():
            step = self.reporter.last.get(name, "")
            if not task.done() and name not in self.stopped and step in BEFORE_APPLY:
                self.stopped[name] = step or "queued"
                task.cancel()

    def step(self, host: str, step: str, detail: str = "") -> None:
        self.reporter.step(host, step, detail)
        if self.cancelled is not None and self.cancelled.is_set():
            self.stop_before_apply()

    def output(self, host: str, stream: str, line: str) -> None:
        self.reporter.output(host, stream, line)


async def _deploy_all(
    deploys: list[tuple[DeploymentHost, HostDeploy, Any]],
    reporter: Any,
    cancelled: threading.Event | None,
    confirm_seconds: int,
    context: contextvars.Context,
) -> dict[str, str]:
    """Deploy every host at once, recording each outcome as it comes; on cancel, stop the hosts whose apply has
    not started. The outcome of each host by name."""
    watch = _Cancelling(reporter, cancelled)
    rows: dict[str, DeploymentHost] = {}
    for row, deploy, transport in deploys:
        rows[row.host_name] = row
        watch.tasks[row.host_name] = asyncio.ensure_future(
            deploy_hosts([deploy], transport_for=_constant(transport), reporter=watch)
        )
    outcomes: dict[str, str] = {}
    pending = set(watch.tasks.values())
    while pending:
        _done, pending = await asyncio.wait(pending, timeout=0.05)
        if cancelled is not None and cancelled.is_set():
            watch.stop_before_apply()
        for name, task in watch.tasks.items():
            if not task.done() or name in outcomes:
                continue
            outcome: str
            if task.cancelled():
                outcome = HostOutcome.CANCELLED
                step = watch.stopped.get(name, "its start")
                reason = f"cancelled during {step}: nothing applied"
                if step in ("check", "backup"):
                    reason += f" (had its agent armed the timer, it restores the same files in {confirm_seconds} s)"
                await asyncio.to_thread(_record_in_thread, context, rows[name], outcome=outcome, reason=reason)
            else:
                result = task.result()[0]
                outcome, reason = str(result.outcome), result.reason
                if cancelled is not None and cancelled.is_set():
                    result.reason = (reason + "; " if reason else "") + "the cancel came after its apply had started"
                await asyncio.to_thread(_record_in_thread, context, rows[name], result=result)
            outcomes[name] = outcome
            reporter.outcome(name, outcome, reason)
    return outcomes


def deployment_run(
    *, deployment_id: int, reporter: DeployReporter | None = None, cancelled: threading.Event | None = None
) -> Deployment:
    """Run a deployment to its end (the deploy job's operation; no transaction is held while hosts are deployed).

    ``reporter``: where steps and lines go (a :class:`JobReporter`; the Python log by default). ``cancelled``:
    set when someone cancels; hosts whose apply has not started are then stopped and recorded ``cancelled``.
    """
    from executors.lab.lifecycle import run_coroutine

    deployment = Deployment.objects.select_related("change_request").get(pk=deployment_id)
    if deployment.state in FINISHED_STATES:
        return deployment
    Deployment.objects.filter(pk=deployment.pk).update(state=DeploymentState.RUNNING, started_at=timezone.now())
    rows = {h.host_name: h for h in deployment.hosts.select_related("managed_host")}
    built = _bundles(deployment)
    for name, row in rows.items():
        if not row.bundle and name in built:
            bundle = built[name][0]
            row.bundle, row.digest = bundle.as_dict(), bundle.digest
            row.save(update_fields=["bundle", "digest"])
    pending = [r for r in rows.values() if r.outcome in (HostOutcome.PENDING, HostOutcome.RUNNING)]
    now = timezone.now()
    for row in pending:
        row.attempts += 1
        row.outcome, row.started_at = HostOutcome.RUNNING, now
        row.save(update_fields=["attempts", "outcome", "started_at"])
    deploys = []
    for row in pending:
        bundle = Bundle.from_dict(row.bundle)
        lab = built.get(row.host_name, (None, None))[1]
        if lab is not None:
            target, root, transport = (
                lab.target(row.host_name),
                f"{lab.state_dir}/hosts/{row.host_name}/jailnet",
                lab.transport,
            )
        else:
            from executors.hosts.contact import managed_host_target, managed_host_transport

            assert row.managed_host is not None  # inventory deployments map every host (deployment_create)
            target, root, transport = managed_host_target(row.managed_host), FREEBSD_ROOT, managed_host_transport()
        # A new id per attempt: a retried host stages and applies afresh (a redelivered task has the same one).
        deploy = HostDeploy(bundle=bundle, target=target, root=root,
                            deploy_id=f"d{deployment.pk}-{row.pk}-{row.attempts}",
                            confirm_seconds=deployment.confirm_seconds)  # fmt: skip
        deploys.append((row, deploy, transport))
    report = reporter or _LogReporter(deployment.pk)
    if not hasattr(report, "outcome"):
        report = _Forward(report)
    context = contextvars.copy_context()
    outcomes = run_coroutine(lambda: _deploy_all(deploys, report, cancelled, deployment.confirm_seconds, context))
    verify: dict[str, Any] = {}
    if deployment.target == DeploymentTarget.LAB and any(
        o in (Outcome.DEPLOYED, Outcome.UNCHANGED) for o in outcomes.values()
    ):
        if isinstance(report, JobReporter):
            report.log.step("verify", state="running", message="the lab's reachability check")
        verify = _verify_lab(deployment)
        if isinstance(report, JobReporter):
            report.log.step("verify", state="succeeded" if verify.get("ok") else "failed",
                            message=_verify_text(verify))  # fmt: skip
            report.log.line(f"verify: {_verify_text(verify)}")
    note = ""
    if cancelled is not None and cancelled.is_set():
        note = "cancelled"
    return deployment_complete(deployment=deployment, verify=verify, note=note)


class _Forward:
    """A plain :class:`DeployReporter` given by a caller, with the step tracking a run needs."""

    def __init__(self, reporter: DeployReporter) -> None:
        self.reporter = reporter
        self.last: dict[str, str] = {}

    def step(self, host: str, step: str, detail: str = "") -> None:
        if step:
            self.last[host] = step
        self.reporter.step(host, step, detail)

    def output(self, host: str, stream: str, line: str) -> None:
        self.reporter.output(host, stream, line)

    def outcome(self, host: str, outcome: str, reason: str = "") -> None:
        """Not told to a plain reporter."""


def _verify_text(verify: dict[str, Any]) -> str:
    if "error" in verify:
        return f"the reachability check failed: {verify['error']}"
    return f"{verify.get('matched')}/{verify.get('total')} reachability cells as the design promises"


@transaction.atomic
def deployment_follow_job(*, job: Job) -> Deployment | None:
    """A deploy job ended: a deployment it did not finish is finished now. Its worker was lost (the reaper marked
    the job interrupted) or it failed before deploying: each host still pending or running is recorded
    ``interrupted`` (on its old or its new configuration: its dead-man timer decides) or ``cancelled``, the
    deployment ``interrupted`` and the request failed or partly deployed. Called for every saved job."""
    if job.kind != JobKind.DEPLOY or job.state in (JobState.QUEUED, JobState.RUNNING):
        return None
    deployment = Deployment.objects.select_for_update().filter(job_id=job.pk).first()
    if deployment is None or deployment.state in FINISHED_STATES:
        return None
    started = job.started_at is not None
    for row in deployment.hosts.filter(outcome__in=(HostOutcome.PENDING, HostOutcome.RUNNING)):
        if row.outcome == HostOutcome.RUNNING or (started and job.state == JobState.INTERRUPTED):
            reason = (
                f"the deploy job ended {job.state} while this host was being deployed ({job.message}); "
                f"it is on its old or its new configuration: an unconfirmed apply is restored by its dead-man "
                f"timer within {deployment.confirm_seconds} s"
            )
            deployment_host_record(host=row, outcome=HostOutcome.INTERRUPTED, reason=reason)
        else:
            reason = f"never started: the deploy job ended {job.state} ({job.message})"
            deployment_host_record(host=row, outcome=HostOutcome.CANCELLED, reason=reason)
    state = DeploymentState.INTERRUPTED if started else None
    return deployment_complete(deployment=deployment, state=state, note=f"job {job.pk} {job.state}")


def _verify_lab(deployment: Deployment) -> dict[str, Any]:
    """The lab's reachability check after the deploy (counts; the cells go to the lab's own report)."""
    from executors.lab.lifecycle import LabError, lab_check
    from executors.lab.services import lab_state_dir

    snapshot = snapshot_from_document(load_document(deployment.change_request.document))
    try:
        report = lab_check(snapshot, lab_state_dir(deployment.design_name))
    except LabError as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": not report.mismatched, "total": report.total, "matched": report.matched,
            "mismatched": [c.as_dict() for c in report.mismatched][:50]}  # fmt: skip


def deployment_can_read(user: Any) -> None:
    """Raise unless ``user`` may read deployments (any role)."""
    from project.roles import user_can

    if not user_can(user, "read"):
        raise PermissionDenied("you need a role to see deployments")
