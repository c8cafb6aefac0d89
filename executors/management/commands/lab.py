"""``python manage.py lab up|status|check|down DESIGN``: a design on Linux network namespaces (root only).

DESIGN is a design name or a YAML design document (imported first). ``up``, ``check`` and ``down`` are jobs like
those the API starts (one per design at a time, in the jobs list and the audit history), run in this process and
printed as their log is stored: the terminal shows the stream the browser shows. Exit status: 0 success, 1
failure or a check with mismatches, 2 when not run as root, 3 when another job holds the design.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.audit import change_context
from core.models import ChangeSource
from executors.jobs.runner import job_run
from executors.jobs.services import JobConflict, job_create
from executors.lab import lifecycle
from executors.lab.check import cells_table
from executors.lab.lifecycle import LabError, LabNotPermitted
from executors.lab.services import design_by_name_or_document, lab_current_status
from executors.models import Job, JobKind, JobState, Lab


class Command(BaseCommand):
    help = "Bring a design up on Linux network namespaces, check its reachability, tear it down (needs root)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["up", "status", "check", "down"])
        parser.add_argument("design", nargs="?", help="design name or YAML document")
        parser.add_argument("--if-root", action="store_true", help="up: when not root, say so and exit 0")
        parser.add_argument("--keep-on-failure", action="store_true", help="up: leave a failed lab for inspection")
        parser.add_argument("--all", action="store_true", help="check: print every cell, not only mismatches")
        parser.add_argument("--json", action="store_true", help="check/status: print JSON")
        parser.add_argument("--sample", type=int, help="check: measure at most this many cells (large designs)")
        parser.add_argument("--user", help="User name the audit history records for the operation (default: none).")

    def handle(self, *args: Any, **options: Any) -> None:
        user = None
        if options.get("user"):
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no user named '{options['user']}'")
        with change_context(source=ChangeSource.COMMAND, user=user):
            self._handle(options)

    def _handle(self, options: dict[str, Any]) -> None:
        action, name = options["action"], options["design"]
        if action != "status" and not name:
            raise CommandError(f"lab {action} needs a DESIGN (name or YAML file)")
        try:
            if action == "status" and not name:
                self._status_all(options)
                return
            lifecycle.require_root()
            design = design_by_name_or_document(name)
            getattr(self, f"_{action}")(design, options)
        except LabNotPermitted as exc:
            if options["if_root"]:
                self.stdout.write(f"lab: not started ({exc})")
                return
            raise CommandError(str(exc), returncode=2) from exc
        except LabError as exc:
            raise CommandError(str(exc)) from exc

    def _echo(self, host: str, stream: str, data: str) -> None:
        """Print a stored chunk of the job's log: a host's output with the host's name before each line."""
        if not host:
            self.stdout.write(data, ending="")
            return
        for line in data.splitlines(keepends=True):
            self.stdout.write(f"[{host}] {line}", ending="")
        if not data.endswith("\n"):
            self.stdout.write("")

    def _run_job(self, kind: str, design: Any, options: dict[str, Any] | None = None, *, echo: bool = True) -> Job:
        try:
            job = job_create(kind=kind, design=design, options=options or {}, enqueue=False)
        except JobConflict as exc:
            raise CommandError(str(exc), returncode=3) from exc
        # Echoed as it is stored (in --json mode only the JSON goes to stdout).
        finished = job_run(job_id=job.pk, echo=self._echo if echo else None)
        assert finished is not None  # created queued just above, in this process
        return finished

    def _up(self, design: Any, options: dict[str, Any]) -> None:
        job = self._run_job(JobKind.LAB_UP, design, {"keep_on_failure": options["keep_on_failure"]})
        if job.state != JobState.SUCCEEDED:
            raise CommandError(job.message)
        self.stdout.write(
            f"lab {design.name} up in {job.result['seconds']}s: {job.result['hosts']} hosts, "
            f"{job.result['namespaces']} namespaces, {job.result['commands']} commands (job {job.pk})"
        )

    def _down(self, design: Any, options: dict[str, Any]) -> None:
        job = self._run_job(JobKind.LAB_DOWN, design)
        if job.state != JobState.SUCCEEDED:
            raise CommandError(job.message)
        self.stdout.write(
            f"lab {design.name} down: {job.result['namespaces']} namespaces, {job.result['processes']} processes "
            f"removed (job {job.pk})"
        )

    def _check(self, design: Any, options: dict[str, Any]) -> None:
        job_options: dict[str, Any] = {"sample": options["sample"]} if options["sample"] else {}
        job = self._run_job(JobKind.LAB_CHECK, design, job_options, echo=not options["json"])
        if "total" not in job.result:  # it did not measure (not up, changed since up ...)
            raise CommandError(job.message)
        lab = Lab.objects.get(design=design)
        if options["json"]:
            report = {**{k: job.result[k] for k in ("total", "matched", "mismatched", "seconds")}}
            self.stdout.write(json.dumps({"design": design.name, **report, "cells": lab.check_cells}, indent=1))
        else:
            self.stdout.write(cells_table(lab.check_cells, only_mismatches=not options["all"]))
            self.stdout.write(f"checked in {job.result['seconds']}s (job {job.pk})")
        if job.result["mismatched"]:
            raise CommandError(f"{job.result['mismatched']} cells differ from the design's promise")

    def _status(self, design: Any, options: dict[str, Any]) -> None:
        status = lab_current_status(design=design)
        if options["json"]:
            self.stdout.write(json.dumps(status, indent=1))
            return
        for key, value in status.items():
            self.stdout.write(f"{key}: {value}")

    def _status_all(self, options: dict[str, Any]) -> None:
        labs = list(Lab.objects.select_related("design"))
        if not labs:
            self.stdout.write("no labs")
        for lab in labs:
            self.stdout.write(
                f"{lab.design.name}: {lab.state}, last check {lab.check_matched}/{lab.check_total} as expected"
            )
