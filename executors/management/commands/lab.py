"""``python manage.py lab up|status|check|down DESIGN``: a design on Linux network namespaces (root only).

DESIGN is a design name or a YAML design document (imported first). Exit status: 0 success, 1 failure or
a check with mismatches, 2 when not run as root.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.audit import change_context
from core.models import ChangeSource
from executors.lab import lifecycle
from executors.lab.lifecycle import LabError, LabNotPermitted
from executors.lab.services import (
    design_by_name_or_document,
    lab_current_status,
    lab_run_check,
    lab_start,
    lab_stop,
)
from executors.models import Lab


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

    def _up(self, design: Any, options: dict[str, Any]) -> None:
        _lab, result = lab_start(design=design, keep_on_failure=options["keep_on_failure"])
        self.stdout.write(
            f"lab {design.name} up in {result.seconds}s: {result.hosts} hosts, {result.namespaces} namespaces, "
            f"{result.commands} commands (namespaces {result.lab_id}-*)"
        )
        for warning in result.warnings:
            self.stdout.write(f"warning: {warning}")
        for note in result.notes:
            self.stdout.write(f"note: {note}")

    def _down(self, design: Any, options: dict[str, Any]) -> None:
        _, result = lab_stop(design=design)
        self.stdout.write(
            f"lab {design.name} down: {len(result.namespaces)} namespaces, {result.processes} processes removed"
        )

    def _check(self, design: Any, options: dict[str, Any]) -> None:
        _, report = lab_run_check(design=design, sample=options["sample"])
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=1))
        else:
            self.stdout.write(report.table(only_mismatches=not options["all"]))
            self.stdout.write(f"checked in {report.seconds}s")
        if report.mismatched:
            raise CommandError(f"{len(report.mismatched)} cells differ from the design's promise")

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
