"""Services of registered hosts seen from the executors room: "Test connection" as a job, and which registered
host each host of a design is deployed to.

* :func:`host_test_start`: a job (kind ``host_test``) on the host-work queue reads the host's key or, once pinned,
  logs in and gathers its facts, streaming the lines into the job's log; one such job per host at a time.
* :func:`design_host_mapping` / :func:`design_hosts_map`: a design's hosts mapped to registered hosts (or left
  unmapped: deployed to the design's lab). A registered host is mapped at most once per design. Mapping is not
  a change of the design's content (no request goes stale); it is audited as a change of the design's host.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from inventory.choices import HostKeyState
from inventory.models import ManagedHost
from topology.models import Design, Host

from ..jobs.services import job_create
from ..models import Job, JobKind
from ..models.jobs import ACTIVE_JOB_STATES


class HostJobConflict(Exception):
    """A test connection of this host is already queued or running."""

    def __init__(self, holder: Job) -> None:
        self.holder = holder
        super().__init__(f"job {holder.pk} is already testing this host ({holder.state})")


class MappingError(ValueError):
    """A mapping that cannot be saved; nothing of it was saved."""


@transaction.atomic
def host_test_start(*, host: ManagedHost, remote_addr: str | None = None) -> Job:
    """Queue a test connection of ``host`` (enqueued on commit); raise :class:`HostJobConflict` when one runs."""
    ManagedHost.objects.select_for_update().filter(pk=host.pk).first()  # one creation per host at a time
    holder = Job.objects.filter(
        kind=JobKind.HOST_TEST, options__managed_host=host.pk, state__in=ACTIVE_JOB_STATES
    ).first()
    if holder is not None:
        raise HostJobConflict(holder)
    return job_create(
        kind=JobKind.HOST_TEST,
        design=None,
        title=f"host {host.name}",
        options={"managed_host": host.pk},
        remote_addr=remote_addr,
    )


def _entry(host: Host) -> dict[str, Any]:
    managed = host.managed_host
    return {
        "host": host.name,
        "host_id": host.pk,
        "managed_host": managed.pk if managed else None,
        "managed_host_name": managed.name if managed else "",
        "host_key_state": managed.host_key_state if managed else "",
        "pinned": bool(managed and managed.host_key_state == HostKeyState.PINNED),
    }


def design_host_mapping(*, design: Design) -> list[dict[str, Any]]:
    """Each host of ``design`` and the registered host it is mapped to (with its key's state), by name."""
    return [_entry(h) for h in Host.objects.filter(design=design).select_related("managed_host").order_by("name")]


@transaction.atomic
def design_hosts_map(*, design: Design, mapping: dict[str, int | None]) -> list[dict[str, Any]]:
    """Map hosts of ``design`` (by name) to registered hosts (by id; None: unmapped); the others keep theirs.

    Refused whole (:class:`MappingError`): an unknown design host or registered host, a registered host mapped
    to two hosts of the design. Each host that changes is saved (audited); the design's requests stay as they are.
    """
    Design.objects.select_for_update().filter(pk=design.pk).first()  # two mappings of one design: one at a time
    hosts = {h.name: h for h in Host.objects.filter(design=design).select_related("managed_host")}
    unknown = sorted(set(mapping) - set(hosts))
    if unknown:
        raise MappingError(f"{design.name} has no host named {', '.join(unknown)}")
    wanted_ids = {v for v in mapping.values() if v is not None}
    managed = {m.pk: m for m in ManagedHost.objects.filter(pk__in=wanted_ids)}
    missing = sorted(wanted_ids - set(managed))
    if missing:
        raise MappingError(f"no registered host with id {', '.join(map(str, missing))}")
    final = {name: mapping.get(name, h.managed_host_id) for name, h in hosts.items()}
    users: dict[int, list[str]] = {}
    for name, managed_id in sorted(final.items()):
        if managed_id is not None:
            users.setdefault(managed_id, []).append(name)
    twice = [f"{managed[i].name if i in managed else i} -> {' and '.join(names)}"
             for i, names in users.items() if len(names) > 1]  # fmt: skip
    if twice:
        raise MappingError("a registered host can be mapped to one host of a design only: " + "; ".join(twice))
    for name, managed_id in mapping.items():
        host = hosts[name]
        if host.managed_host_id != managed_id:
            host.managed_host = managed.get(managed_id) if managed_id is not None else None
            host.save()
    return design_host_mapping(design=design)
