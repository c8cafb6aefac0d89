"""The live plan of a change request (a ``deploy_plan`` job): each host's bundle from the request's frozen
document, planned against the host's live state (its lab host, or the registered host it is mapped to), with
the management-path warnings; the job's log has one step and the actions per host, its result the plans.

Nothing on the hosts changes: the agent's ``plan`` command skips every change, and its staged directory is
removed again.
"""

from __future__ import annotations

from typing import Any

from topology.design_io import load_document, snapshot_from_document
from topology.models import ChangeRequest

from .pipeline import HostDeploy
from .plan import LivePlan, plan_deploy, plan_hosts

FREEBSD_ROOT = "/var/db/jailnet"
TARGETS = ("lab", "inventory")


class PlanRefused(ValueError):
    """The request cannot be planned (unknown target, a host not mapped or not pinned, no lab)."""


def _lab_hosts(cr: ChangeRequest, snapshot: Any) -> list[tuple[HostDeploy, str, Any]]:
    from executors.lab.lifecycle import Lab
    from executors.lab.services import lab_state_dir
    from topology.render.lab.bundle import lab_bundle

    lab = Lab(snapshot, lab_state_dir(cr.design.name))
    if not (lab.state_dir / "lab_key").exists():
        raise PlanRefused(f"the lab of {cr.design.name} is not up: bring it up to plan against it")
    return [
        (
            plan_deploy(lab_bundle(h), lab.target(h.name), f"{lab.state_dir}/hosts/{h.name}/jailnet"),
            str(lab.network.mgmt_address[h.name].ip),
            lab.transport,
        )
        for h in lab.plan.hosts
    ]


def _inventory_hosts(cr: ChangeRequest, snapshot: Any) -> list[tuple[HostDeploy, str, Any]]:
    from executors.hosts.contact import managed_host_target, managed_host_transport
    from inventory.choices import HostKeyState
    from topology.models import Host
    from topology.render.freebsd.bundle import freebsd_bundle

    mapped = {h.name: h.managed_host for h in Host.objects.filter(design=cr.design).select_related("managed_host")}
    problems, hosts = [], []
    transport = managed_host_transport()
    for host in snapshot.hosts:
        managed = mapped.get(host.name)
        if managed is None:
            problems.append(f"{host.name} is not mapped to a registered host")
        elif managed.host_key_state != HostKeyState.PINNED:
            problems.append(f"{host.name} -> {managed.name}: host key not pinned")
        else:
            deploy = plan_deploy(freebsd_bundle(snapshot, host.name), managed_host_target(managed), FREEBSD_ROOT)
            hosts.append((deploy, managed.management_address, transport))
    if problems:
        raise PlanRefused("cannot plan against registered hosts: " + "; ".join(problems))
    return hosts


def change_request_plan(*, change_request_id: int, target: str, progress: Any = None) -> list[LivePlan]:
    """Plan every host of the request against its live state (``target``: ``lab`` or ``inventory``).

    ``progress`` (a job's log) gets a step per host and its actions and warnings as lines.
    """
    from executors.lab.common import run_coroutine

    if target not in TARGETS:
        raise PlanRefused(f"unknown target {target!r} (lab or inventory)")
    cr = ChangeRequest.objects.select_related("design").get(pk=change_request_id)
    snapshot = snapshot_from_document(load_document(cr.document))
    hosts = _lab_hosts(cr, snapshot) if target == "lab" else _inventory_hosts(cr, snapshot)
    if progress is not None:
        for deploy, _address, _transport in hosts:
            progress.step(deploy.bundle.host, state="running")
    transports = {id(d): t for d, _a, t in hosts}
    plans = run_coroutine(lambda: plan_hosts([(d, a) for d, a, _t in hosts], transport_for=lambda d: transports[id(d)]))
    for plan in plans:
        if progress is None:
            continue
        for actions in plan.actions.values():
            for action in actions:
                progress.line(f"would: {action}", host=plan.host)
        for warning in plan.warnings:
            progress.line(f"WARNING management path: {warning}", host=plan.host)
        if plan.error:
            progress.line(plan.error, host=plan.host)
        summary = (
            "error"
            if plan.error
            else "unchanged"
            if plan.unchanged
            else f"{sum(map(len, plan.actions.values()))} actions"
        )
        progress.step(plan.host, state="failed" if plan.error else "succeeded", message=summary)
    return plans


__all__ = ["TARGETS", "PlanRefused", "change_request_plan"]
