"""``manage.py audit verify``: recompute the audit history's hash chain and report the first broken link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.audit_chain import verify_chain


class Command(BaseCommand):
    """Checks of the audit history."""

    help = "Check the audit history: `verify` recomputes its hash chain and reports the first broken link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if report.intact:
            self.stdout.write(f"audit history intact: {report.checked} entries, every link holds")
            return
        where = f"entry {report.broken_entry_id}" if report.broken_entry_id is not None else "the end of the chain"
        raise CommandError(
            f"audit history broken at {where}: {report.reason}; {report.checked} entries before it are intact"
        )
