"""Deployments: create one for an approved change request, run it host by host, record every outcome.

``deployment_create`` (web request): the request moves to ``deploying`` (topology's rules: approved, current,
operator), the deployment and one row per host are written, audited, and the run is enqueued on commit.
``deployment_run`` (worker): builds each host's bundle into its row (so any worker can deploy any host; nothing
is read from a worker's disk), deploys the hosts concurrently with :mod:`.pipeline`, records each outcome as it
comes, verifies (lab: the reachability check), and finishes the request: ``deployed`` (a revision is recorded),
``partly_deployed``, ``failed`` or ``rolled_back``. Running it again is harmless: finished hosts are skipped and
a host's agent recognises a deploy it already applied or committed.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from core.audit import record_operation, serialize_for_audit
from inventory.choices import HostKeyState
from topology.changes.services import ChangeRequestConflict, deployment_finish, deployment_start
from topology.design_io import load_document, snapshot_from_document
from topology.models import ChangeRequest, ChangeRequestState, Host
from topology.render.bundle import Bundle
from topology.render.freebsd.bundle import freebsd_bundle

from .models import FINISHED_STATES, Deployment, DeploymentHost, DeploymentState, DeploymentTarget, HostOutcome
from .pipeline import DeployReporter, HostDeploy, HostResult, Outcome, deploy_hosts

log = logging.getLogger(__name__)
ACTIVE_STATES = (DeploymentState.QUEUED, DeploymentState.RUNNING)
FREEBSD_ROOT = "/var/db/jailnet"
MIN_CONFIRM_SECONDS, MAX_CONFIRM_SECONDS = 2, 3600


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
            problems.append(f"{name} -> {managed.name}: host key {managed.get_host_key_state_display().lower()}")
    if problems:
        raise DeploymentConflict("cannot deploy to registered hosts: " + "; ".join(problems))
    return {name: mapped[name] for name in host_names}


@transaction.atomic
def deployment_create(
    *, change_request: ChangeRequest, user: Any, target: str, confirm_seconds: int = 120
) -> Deployment:
    """Start deploying an approved request to its lab or its registered hosts; the run is enqueued on commit."""
    if target not in DeploymentTarget.values:
        raise DeploymentConflict(f"unknown target {target!r}")
    if not MIN_CONFIRM_SECONDS <= confirm_seconds <= MAX_CONFIRM_SECONDS:
        raise DeploymentConflict(f"the confirm timer must be {MIN_CONFIRM_SECONDS}-{MAX_CONFIRM_SECONDS} seconds")
    host_names = list(change_request.hosts.order_by("host_name").values_list("host_name", flat=True))
    managed = _inventory_hosts(change_request, host_names) if target == DeploymentTarget.INVENTORY else {}
    busy = DeploymentHost.objects.filter(deployment__state__in=ACTIVE_STATES)
    busy = (
        busy.filter(managed_host__in=[m.pk for m in managed.values()])
        if managed
        else busy.filter(deployment__design_id=change_request.design_id, deployment__target=target)
    )
    if busy.exists():
        raise DeploymentConflict(f"another deployment is running on these hosts ({busy.first()})")
    cr = deployment_start(change_request=change_request, user=user)
    deployment = Deployment.objects.create(
        change_request=cr, design_id=cr.design_id, design_name=cr.design.name, target=target,
        confirm_seconds=confirm_seconds, requested_by=user, requested_by_name=user.get_username(),
    )  # fmt: skip
    DeploymentHost.objects.bulk_create(
        [DeploymentHost(deployment=deployment, host_name=n, managed_host=managed.get(n)) for n in host_names]
    )
    record_operation(deployment, None)
    transaction.on_commit(lambda: _enqueue(deployment.pk))
    return deployment


def _enqueue(deployment_id: int) -> None:
    from .tasks import deployment_run_task

    deployment_run_task.delay(deployment_id)


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
def deployment_host_record(*, host: DeploymentHost, result: HostResult) -> DeploymentHost:
    """Record one host's outcome (audited: who deployed what to which host, and how it ended)."""
    host = DeploymentHost.objects.select_for_update().get(pk=host.pk)
    before = serialize_for_audit(host)
    host.outcome = str(result.outcome)
    host.reason, host.changes, host.timings = result.reason, result.changes, result.timings
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
def deployment_complete(*, deployment: Deployment, verify: dict[str, Any] | None = None) -> Deployment:
    """Finish the deployment from its hosts' outcomes, and the change request with it."""
    deployment = Deployment.objects.select_for_update().get(pk=deployment.pk)
    if deployment.state in FINISHED_STATES:
        return deployment
    before = serialize_for_audit(deployment)
    outcomes = list(deployment.hosts.values_list("outcome", flat=True))
    deployment.state = _final_state(outcomes)
    deployment.verify = verify or {}
    deployment.finished_at = timezone.now()
    counts = {o: outcomes.count(o) for o in sorted(set(outcomes))}
    deployment.message = ", ".join(f"{n} {o.replace('_', ' ')}" for o, n in counts.items())
    deployment.save()
    record_operation(deployment, before)
    cr = deployment.change_request
    if cr.state == ChangeRequestState.DEPLOYING:
        deployment_finish(change_request=cr, user=deployment.requested_by, outcome=deployment.state,
                          reason=deployment.message)  # fmt: skip
    return deployment


class _LogReporter:
    """Steps and lines of each host to the log (a job's output stream takes this place once jobs exist)."""

    def __init__(self, deployment_id: int) -> None:
        self.prefix = f"deployment {deployment_id}"

    def step(self, host: str, step: str, detail: str = "") -> None:
        if step:
            log.info("%s %s: %s %s", self.prefix, host, step, detail)

    def output(self, host: str, stream: str, line: str) -> None:
        log.debug("%s %s %s: %s", self.prefix, host, stream, line)


def deployment_run(*, deployment_id: int, reporter: DeployReporter | None = None) -> Deployment:
    """Run a deployment to its end (worker side; no transaction is held while hosts are deployed)."""
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
    DeploymentHost.objects.filter(pk__in=[r.pk for r in pending]).update(outcome=HostOutcome.RUNNING)
    deploys, transports = [], {}
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
        deploy = HostDeploy(bundle=bundle, target=target, root=root, deploy_id=f"d{deployment.pk}-{row.pk}",
                            confirm_seconds=deployment.confirm_seconds)  # fmt: skip
        deploys.append(deploy)
        transports[deploy.deploy_id] = transport
    results = run_coroutine(
        lambda: deploy_hosts(
            deploys, transport_for=lambda d: transports[d.deploy_id], reporter=reporter or _LogReporter(deployment.pk)
        )
    )
    for result in results:
        deployment_host_record(host=rows[result.host], result=result)
    verify: dict[str, Any] = {}
    if deployment.target == DeploymentTarget.LAB and any(r.outcome in (Outcome.DEPLOYED, Outcome.UNCHANGED)
                                                         for r in results):  # fmt: skip
        verify = _verify_lab(deployment)
    return deployment_complete(deployment=deployment, verify=verify)


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
