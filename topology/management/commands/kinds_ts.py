"""``manage.py kinds_ts [--check]`` — write (or check) the frontend's generated field list of each kind."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from topology.kinds_ts import OUTPUT, render_typescript


class Command(BaseCommand):
    help = "Write frontend/src/model/kinds.generated.ts from topology/kinds.py; --check only compares."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Fail when the checked-in file is not current.")

    def handle(self, *args: Any, **options: Any) -> None:
        text = render_typescript()
        current = OUTPUT.read_text() if OUTPUT.exists() else ""
        if options["check"]:
            if current != text:
                raise CommandError(f"{OUTPUT} is not current: run `python manage.py kinds_ts` and commit it.")
            self.stdout.write(f"{OUTPUT.name} is current.")
            return
        if current != text:
            OUTPUT.write_text(text)
        self.stdout.write(f"wrote {OUTPUT}")
