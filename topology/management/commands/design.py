"""``manage.py design import|export|validate|render`` — design as code from the command line."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.audit import change_context
from core.models import ChangeSource
from topology.design_io import DocumentError, dump_document, load_document
from topology.layout import document_with_layout
from topology.models import Design
from topology.selectors import design_snapshot
from topology.services.designs import design_import_document


class Command(BaseCommand):
    help = "Import, export, validate and render designs (YAML documents, see docs/design-format.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        user_help = "User name the audit history records for changes (default: none)."
        parser.add_argument("--user", help=user_help)
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("import", help="Create or update designs from YAML files (idempotent).")
        p.add_argument("files", nargs="+", type=Path)
        p.add_argument(
            "--keep-existing",
            action="store_true",
            help="Leave a design that already exists as it is (make run: what users changed in the examples stays).",
        )
        # Also after the action (``design import --user NAME f.yaml``); SUPPRESS keeps a --user given before it.
        p.add_argument("--user", help=user_help, default=argparse.SUPPRESS)
        p = sub.add_parser("export", help="Print a design as YAML.")
        p.add_argument("name")
        p.add_argument("--out", type=Path, help="Write to this file instead of standard output.")
        p = sub.add_parser("validate", help="Validate a design; exit status 1 when it has errors.")
        p.add_argument("name")
        p = sub.add_parser("render", help="Render the FreeBSD configuration of every host (or one).")
        p.add_argument("name")
        p.add_argument("--host", help="Only this host.")
        p.add_argument("--out", type=Path, help="Write <host>/script.sh and <host>/files/... under this directory.")
        p.add_argument(
            "--force",
            action="store_true",
            help="Render a design that has validation errors; every file then says so at its top.",
        )
        p = sub.add_parser("list", help="List designs.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = None
        if options.get("user"):
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no user named '{options['user']}'")
        with change_context(source=ChangeSource.COMMAND, user=user):
            getattr(self, "do_" + options["action"])(**options)

    def _design(self, name: str) -> Design:
        try:
            return Design.objects.get(name=name)
        except Design.DoesNotExist:
            known = ", ".join(Design.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"no design named '{name}' (known: {known})") from None

    def do_list(self, **_: Any) -> None:
        for d in Design.objects.all():
            self.stdout.write(
                f"{d.name}\t{d.hosts.count()} hosts\t{d.description.splitlines()[0] if d.description else ''}"
            )

    def do_import(self, files: list[Path], keep_existing: bool = False, **_: Any) -> None:
        failed = False
        for path in files:
            try:
                text = path.read_text()
                if keep_existing:
                    name = _document_name(text)
                    if name is not None and Design.objects.filter(name=name).exists():
                        self.stdout.write(f"{path}: design '{name}' exists, kept as it is")
                        continue
                design, changed = design_import_document(document_text=text, user=None)
            except OSError as exc:
                raise CommandError(f"{path}: {exc}") from exc
            except ValidationError as exc:
                failed = True
                self.stderr.write(self.style.ERROR(f"{path}: not imported"))
                for field, messages in exc.message_dict.items():
                    for message in messages:
                        self.stderr.write(f"  {field}: {message}")
                continue
            state = "imported" if changed else "unchanged"
            self.stdout.write(f"{path}: design '{design.name}' {state}")
        if failed:
            raise CommandError("some files were not imported")

    def do_export(self, name: str, out: Path | None, **_: Any) -> None:
        text = dump_document(document_with_layout(design=self._design(name)))
        if out:
            out.write_text(text)
        else:
            self.stdout.write(text, ending="")

    def _print_findings(self, findings: Any, stream: Any) -> None:
        for f in findings:
            where = ", ".join(ref.path for ref in f.objects)
            stream.write(f"{f.severity.upper():8} {f.code}  {f.message}" + (f"  [{where}]" if where else ""))

    def do_validate(self, name: str, **_: Any) -> None:
        from topology.validation import validate

        report = validate(design_snapshot(design=self._design(name)))
        self._print_findings(report.findings, self.stdout)
        summary = f"{name}: {len(report.errors)} error(s), {len(report.warnings)} warning(s)"
        if not report.is_valid:
            self.stderr.write(self.style.ERROR(summary))
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS(summary))

    def do_render(self, name: str, host: str | None, out: Path | None, force: bool = False, **_: Any) -> None:
        from topology.render.freebsd import UnsafeValueError, forced_banner, render_design, render_host
        from topology.validation import validate

        snap = design_snapshot(design=self._design(name))
        if host is not None and snap.host(host) is None:
            raise CommandError(f"no host '{host}' in design '{name}' (hosts: {', '.join(h.name for h in snap.hosts)})")
        report = validate(snap)
        banner: tuple[str, ...] = ()
        if report.errors:
            self._print_findings(report.errors, self.stderr)
            if not force:
                raise CommandError(
                    f"{name}: {len(report.errors)} validation error(s); nothing rendered (--force renders anyway)"
                )
            self.stderr.write(self.style.WARNING(f"{name}: rendering despite {len(report.errors)} error(s) (--force)"))
            banner = forced_banner([f"{f.code} {f.message}" for f in report.errors])
        try:
            configs = {host: render_host(snap, host, banner=banner)} if host else render_design(snap, banner=banner)
        except UnsafeValueError as exc:  # a value no allow-list let through: never written, even when forced
            raise CommandError(f"{name}: {exc}") from exc
        for host_name, config in configs.items():
            if out is None:
                self.stdout.write(f"# ===== {host_name} =====")
                self.stdout.write(config.script, ending="" if config.script.endswith("\n") else "\n")
                continue
            base = out / host_name
            (base / "files").mkdir(parents=True, exist_ok=True)
            (base / "script.sh").write_text(config.script)
            for f in config.files:
                target = base / "files" / f.path.lstrip("/")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(f.content)
            self.stdout.write(f"{host_name}: script.sh and {len(config.files)} file(s) in {base}")


def _document_name(text: str) -> str | None:
    """The design name a document gives, or None when it cannot be read (the import then says why)."""
    try:
        name = load_document(text).get("name")
    except DocumentError:
        return None
    return name if isinstance(name, str) else None
