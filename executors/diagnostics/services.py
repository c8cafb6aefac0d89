"""Diagnostic jobs: start one (a diagnostic on a host of a design, or "Check drift" on all of them), run it in the
worker, stop it. Not pure (database, hosts): the catalogue, parameters, parsers and drift it uses are.

Where a host is reached: the design's lab when it is up (Linux commands, :attr:`Target.LAB`), otherwise the
registered host it is mapped to, whose key is pinned (FreeBSD commands over the pinned SSH transport).
Parameters are checked (``params``) against the design and that host's facts when the job is asked for, so a
refusal is a 400 and never a failed job; the checked argv is kept on the run.

Diagnostics run alongside any other job of their design (``models.jobs.CONCURRENT_KINDS``); those that change a
host (``arp -ad``, ``vxlanflush``) need the operator role, an explicit confirmation, are refused while an
exclusive job (a deploy, the lab brought up or down) runs, and are audited like every job (who, what, where,
when: the job's creation entry holds the diagnostic, host and parameters).
"""

from __future__ import annotations

import dataclasses
import secrets
import shlex
from typing import Any

from django.db import transaction

from executors.hosts.contact import managed_host_target, managed_host_transport
from executors.jobs.log import JobCancelled, JobLog
from executors.jobs.services import JobConflict, job_create
from executors.lab.common import run_coroutine
from executors.lab.hosts import Lab
from executors.lab.services import lab_state_dir
from executors.models import DiagnosticRun, Job, JobKind, LabState
from executors.models import Lab as LabRow
from executors.models.jobs import ACTIVE_JOB_STATES, CONCURRENT_KINDS
from inventory.models import HostKeyState
from project.roles import user_can
from topology import snapshot as s
from topology.models import Design, Host
from topology.selectors import design_snapshot

from .baseline import LabStaleForDrift, host_baselines
from .catalogue import BY_ID, NotAvailable, Target, build_argv, build_capture_argv, capture_limits
from .context import parameter_context
from .drift import drift_of_host
from .params import HostFacts, UnsafeParameter, check_capture_format, remote_command
from .parsers import PARSERS
from .pcap import HEADER_BYTES, NotPcap, capture_path, whole_packets
from .runner import HostAccess, collect_drift_outputs, execute

MAX_ACTIVE_PER_DESIGN = 32  # diagnostics running at once on one design (each holds an SSH channel and a thread)
MAX_RECORDS = 5_000  # parsed records kept on a run (a capture's packets are all in its log and pcap)
MAX_UNPARSED = 500
COMMAND_TIMEOUT = 120.0  # seconds a command that does not stream may take
CAPTURE_GRACE = 15.0  # beyond a capture's own time limit (timeout(1) ends it first)


class DiagnosticRefused(Exception):
    """A diagnostic that may not start; ``status`` is the HTTP status that says why (400, 403, 409)."""

    def __init__(self, message: str, status: int = 400, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


# --- where a host is reached ---------------------------------------------------------------------------


def design_target(design: Design) -> Target:
    """The design's lab when it is up, registered hosts otherwise."""
    lab = LabRow.objects.filter(design=design).only("state").first()
    return Target.LAB if lab is not None and lab.state == LabState.UP else Target.FREEBSD


def _managed(design: Design, host_name: str) -> Any:
    host = Host.objects.filter(design=design, name=host_name).select_related("managed_host__credential").first()
    return host.managed_host if host is not None else None


def _host_facts(managed: Any) -> HostFacts | None:
    facts = getattr(managed, "facts", None) or {}
    names = facts.get("interfaces") or []
    return HostFacts(interfaces=frozenset(str(n) for n in names)) if names else None


def _reachable(design: Design, host_name: str, target: Target) -> Any:
    """The registered host ``host_name`` is mapped to (None for the lab); refuses a host not reachable."""
    if target is Target.LAB:
        return None
    managed = _managed(design, host_name)
    if managed is None:
        raise DiagnosticRefused(
            f"{host_name} cannot be reached: the design's lab is not up and the host is not mapped to a "
            "registered host",
            status=409,
        )
    if managed.host_key_state != HostKeyState.PINNED:
        raise DiagnosticRefused(
            f"{host_name} -> {managed.name}: its host key is not pinned (test the connection and pin it first)",
            status=409,
        )
    return managed


def host_access(
    design: Design, snapshot: s.DesignSnapshot, host_name: str, target: Target, lab: Lab | None = None
) -> HostAccess:
    """How the worker reaches ``host_name`` (built outside the event loop: it reads the database); ``lab``: the
    design's lab, when the caller has it already (it renders the whole design)."""
    if target is Target.LAB:
        return HostAccess(host_name, target, lab=lab or Lab(snapshot, lab_state_dir(design.name)))
    managed = _reachable(design, host_name, target)
    return HostAccess(host_name, target, ssh_target=managed_host_target(managed), transport=managed_host_transport())


# --- starting ----------------------------------------------------------------------------------------------


def _check_room(design: Design, *, mutates: bool) -> None:
    active = Job.objects.filter(design=design, state__in=ACTIVE_JOB_STATES)
    if active.filter(kind__in=CONCURRENT_KINDS).count() >= MAX_ACTIVE_PER_DESIGN:
        raise DiagnosticRefused(
            f"{design.name} has {MAX_ACTIVE_PER_DESIGN} diagnostics running: stop one first", status=409
        )
    if mutates:
        holder = active.exclude(kind__in=CONCURRENT_KINDS).first()
        if holder is not None:
            raise DiagnosticRefused(str(JobConflict(holder)), status=409)


@transaction.atomic
def diagnostic_start(
    *,
    design: Design,
    host: str,
    diagnostic: str,
    parameters: dict[str, Any],
    user: Any,
    jail: str | None = None,
    confirmed: bool = False,
    remote_addr: str | None = None,
) -> Job:
    """Check and queue ``diagnostic`` on ``host`` of ``design`` as ``user``; the job runs it in a worker.

    Raises :class:`DiagnosticRefused`: unknown diagnostic or host, a parameter refused (400, saying which and
    why), a mutating action without the operator role (403) or without ``confirmed`` (400), the host not
    reachable or the design busy with an exclusive job (409).
    """
    entry = BY_ID.get(diagnostic)
    if entry is None:
        raise DiagnosticRefused(f"no diagnostic called {diagnostic!r}", field="diagnostic")
    if entry.mutates and not user_can(user, "diagnose"):
        raise DiagnosticRefused(f"{entry.title} changes the host: it needs the operator role", status=403)
    if entry.mutates and not confirmed:
        raise DiagnosticRefused(f"{entry.title}: {entry.confirmation} (send confirm: true)", field="confirm")
    snapshot = design_snapshot(design=design)
    if snapshot.host(host) is None:
        raise DiagnosticRefused(f"{design.name} has no host {host!r}", field="host")
    target = design_target(design)
    managed = _reachable(design, host, target)
    _check_room(design, mutates=entry.mutates)
    context = parameter_context(snapshot, host, target, _host_facts(managed))
    values = {k: v for k, v in parameters.items() if v is not None and v != ""}
    pcap, pcap_path = False, None
    try:
        if entry.streams:
            pcap = check_capture_format(values.get("format")) == "pcap"
            pcap_path = capture_path(secrets.token_hex(8)) if pcap else None
            argv = build_capture_argv(target, values, context, jail=jail, save_to=pcap_path)
            limits = capture_limits(values)
        else:
            argv = build_argv(diagnostic, target, values, context, jail=jail)
        remote_command(argv)
    except UnsafeParameter as exc:
        raise DiagnosticRefused(str(exc), field=exc.parameter) from exc
    except NotAvailable as exc:
        raise DiagnosticRefused(str(exc), field="diagnostic") from exc
    options: dict[str, Any] = {"diagnostic": diagnostic, "host": host, "target": str(target), "argv": list(argv)}
    if jail:
        options["jail"] = jail
    if entry.streams:
        options["limits"] = dataclasses.asdict(limits)
        if pcap_path:
            options["pcap_path"] = pcap_path
    job = job_create(kind=JobKind.DIAGNOSTIC, design=design, options=options, remote_addr=remote_addr)
    DiagnosticRun.objects.create(
        job=job,
        diagnostic=diagnostic,
        host=host,
        jail=jail or "",
        target=str(target),
        parameters={**values, **({"format": "pcap"} if pcap else {})},
        argv=list(argv),
        parser=entry.parser(target) or "",
    )
    return job


@transaction.atomic
def drift_check_start(*, design: Design, remote_addr: str | None = None) -> Job:
    """Queue "Check drift": the drift diagnostics on every host of ``design`` at once, each compared with the version
    of the design deployed on it (``baseline``). A lab built from an earlier version of the design is refused (409)."""
    snapshot = design_snapshot(design=design)
    if not snapshot.hosts:
        raise DiagnosticRefused(f"{design.name} has no hosts", field="design")
    target = design_target(design)
    try:
        host_baselines(design, snapshot, target)
    except LabStaleForDrift as exc:
        raise DiagnosticRefused(str(exc), status=409) from exc
    _check_room(design, mutates=False)
    job = job_create(kind=JobKind.DRIFT_CHECK, design=design, options={"target": str(target)}, remote_addr=remote_addr)
    DiagnosticRun.objects.create(job=job, diagnostic="drift", target=str(target))
    return job


def diagnostic_can_stop(user: Any, job: Job) -> bool:
    """Who may stop a diagnostic: whoever asked for it, and operators."""
    return user_can(user, "diagnose") or (job.requested_by_id is not None and job.requested_by_id == user.pk)


# --- running (in the worker) -------------------------------------------------------------------------------


def _as_records(parsed: Any) -> tuple[list[dict[str, Any]], int, list[list[Any]]]:
    records = [dataclasses.asdict(r) for r in parsed.records[:MAX_RECORDS]]
    unparsed = [[line.number, line.text] for line in parsed.unparsed[:MAX_UNPARSED]]
    return records, len(parsed.records), unparsed


def diagnostic_run(job: Job, log: JobLog) -> dict[str, Any]:
    """Run a diagnostic job: the command streamed into the log, its records (and pcap) kept on the run."""
    run = DiagnosticRun.objects.get(job=job)
    design = job.design
    if design is None:
        raise RuntimeError(f"the design {job.design_name} was deleted")
    target = Target(run.target)
    snapshot = design_snapshot(design=design)
    access = host_access(design, snapshot, run.host, target)
    entry = BY_ID[run.diagnostic]
    argv = list(run.argv)
    pcap_path = job.options.get("pcap_path")
    limits = job.options.get("limits") or {}
    where = f"{run.host} (in jail {run.jail})" if run.jail else run.host
    log.line(f"{where}$ {shlex.join(argv)}", host=run.host)
    log.step(run.host, state="running")
    timeout = float(limits["seconds"]) + CAPTURE_GRACE if entry.streams else COMMAND_TIMEOUT

    async def go() -> Any:
        async with access.session() as session:
            return await execute(
                session, argv, host=run.host, target=target, log=log, cancelled=log.cancelled,
                byte_limit=limits.get("bytes"), timeout=timeout, pcap_path=pcap_path,
                pcap_limit=int(limits.get("bytes", 0)) + HEADER_BYTES,
            )  # fmt: skip

    outcome = run_coroutine(go)
    run.exit_status = outcome.exit_status
    if run.parser:
        run.records, run.records_total, run.unparsed = _as_records(PARSERS[run.parser](outcome.text))
    summary: dict[str, Any] = {"exit_status": outcome.exit_status, "records": run.records_total}
    if outcome.pcap is not None:
        try:
            pcap = whole_packets(outcome.pcap)
            run.pcap, run.pcap_packets, run.pcap_truncated = pcap.data, pcap.packets, pcap.truncated
            run.pcap_bytes = len(pcap.data)
            summary.update(pcap_bytes=len(pcap.data), pcap_packets=pcap.packets)
        except NotPcap:
            log.line("no pcap file was written (tcpdump did not start)", host=run.host)
    run.save()
    if outcome.stopped == "cancelled":
        log.step(run.host, state="failed", message="stopped")
        raise JobCancelled("stopped")
    ended_by_limit = entry.streams and (outcome.stopped in ("bytes",) or outcome.exit_status == 124)
    if outcome.stopped == "time" and not entry.streams:
        log.step(run.host, state="failed", message="timed out")
        raise DiagnosticFailed(f"{run.host}: {entry.title} took more than {timeout:g}s and was stopped", summary)
    if outcome.exit_status not in (0, None) and not ended_by_limit:
        log.step(run.host, state="failed", message=f"exited {outcome.exit_status}")
        raise DiagnosticFailed(f"{run.host}: {entry.title} exited {outcome.exit_status}", summary)
    how = {"bytes": " at its byte limit", "time": " at its time limit"}.get(outcome.stopped, "")
    if outcome.exit_status == 124:
        how = " at its time limit"
    log.step(run.host, state="succeeded")
    return {"message": f"{run.host}: {entry.title} done{how}, {run.records_total} records", **summary}


class DiagnosticFailed(Exception):
    """The command failed on the host; ``result`` is the job's summary all the same."""

    def __init__(self, message: str, result: dict[str, Any]) -> None:
        super().__init__(message)
        self.result = result


def drift_run(job: Job, log: JobLog) -> dict[str, Any]:
    """Run "Check drift": every host's drift diagnostics at once, each host compared with the version deployed on it;
    findings (each with that version) and the versions compared (``parameters["compared"]``) kept on the run."""
    run = DiagnosticRun.objects.get(job=job)
    design = job.design
    if design is None:
        raise RuntimeError(f"the design {job.design_name} was deleted")
    target = Target(run.target)
    snapshot = design_snapshot(design=design)
    try:
        baselines = host_baselines(design, snapshot, target)
    except LabStaleForDrift as exc:  # the lab was rebuilt from nothing since the check was asked for: no drift to say
        raise DiagnosticFailed(str(exc), {"findings": 0, "hosts": len(snapshot.hosts), "stale": True}) from exc
    run.parameters = {"compared": {name: b.as_dict() for name, b in baselines.items()}}
    run.save(update_fields=["parameters"])
    accesses, contexts, unreachable = [], {}, []
    lab = Lab(snapshot, lab_state_dir(design.name)) if target is Target.LAB else None
    for host in snapshot.hosts:
        try:
            access = host_access(design, snapshot, host.name, target, lab)
        except DiagnosticRefused as exc:
            unreachable.append({"host": host.name, "error": str(exc)})
            log.step(host.name, state="skipped", message=str(exc))
            continue
        accesses.append(access)
        contexts[host.name] = parameter_context(snapshot, host.name, target, None)
        log.step(host.name, state="running")
    collected = run_coroutine(lambda: collect_drift_outputs(accesses, contexts, log))
    findings: list[dict[str, Any]] = []
    for host_outputs in collected:
        if host_outputs.error:
            unreachable.append({"host": host_outputs.host, "error": host_outputs.error})
            log.step(host_outputs.host, state="failed", message=host_outputs.error)
            continue
        baseline = baselines[host_outputs.host]
        compared = baseline.as_dict()
        found = [
            {**f.as_dict(), "compared": compared}
            for f in drift_of_host(baseline.snapshot, host_outputs.host, target, host_outputs.outputs)
        ]
        for finding in found:
            log.line(f"drift: {finding['message']}", host=host_outputs.host)
        findings += found
        log.step(host_outputs.host, state="succeeded", message=f"{len(found)} findings")
    run.findings = findings
    run.records = unreachable
    run.records_total = len(findings)
    run.save(update_fields=["findings", "records", "records_total"])
    summary = {"findings": len(findings), "hosts": len(snapshot.hosts), "unreachable": len(unreachable)}
    if unreachable and not any(not h.error for h in collected):
        raise DiagnosticFailed("no host of the design could be checked", summary)
    word = "finding" if len(findings) == 1 else "findings"
    versions = sorted({b.label for b in baselines.values()})
    return {
        "message": f"{len(findings)} drift {word} on {len(snapshot.hosts)} hosts, compared with {'; '.join(versions)}",
        **summary,
        "compared": versions,
    }
