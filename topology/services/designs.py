"""Design-level services: importing a design document (create or update in place) and deleting a design.

Import is idempotent: importing the same document twice changes nothing (not even ``version`` or
``last_updated``), and a modified document updates the existing objects in place — objects are
matched by their natural keys (host name, interface name on a host, jail name on a host, ...), so
their ids, and everything that refers to them, survive. What the document no longer has is deleted.
A document that cannot be stored (unknown keys, bad values, dangling references, duplicate names) is
refused as a whole: nothing is half-saved.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import change_context, current_change_context
from core.audit_references import audit_reference_names
from core.models import AuditEntry, ChangeSource
from core.services import object_create, object_delete

from .. import models as m
from .. import snapshot as s
from ..design_io import (
    DocumentError,
    canonical_snapshot,
    document_from_snapshot,
    dump_document,
    load_document,
    snapshot_from_document,
)
from ..layout import apply_layout, document_with_layout, layout_errors
from ..models.design import design_name_validator
from ..selectors import design_snapshot
from .design_sync import DesignSync


def design_import_document(*, document_text: str, user: Any = None) -> tuple[m.Design, bool]:
    """Import a YAML design document; return the design and whether its content changed.

    The document's optional ``layout`` section places the nodes on the canvas (positions are not content:
    moving nodes alone is not a change).
    """
    try:
        doc = load_document(document_text)
        layout = split_layout(doc)
        snap = snapshot_from_document(doc)
    except DocumentError as exc:
        raise ValidationError({**exc.fields, **({"document": exc.errors} if exc.errors else {})}) from exc
    return design_import_with_layout(snapshot=snap, layout=layout, user=user)


def split_layout(doc: dict[str, Any]) -> dict[str, Any] | None:
    """Take the optional ``layout`` section out of a parsed document (DocumentError when it is malformed)."""
    layout = doc.pop("layout", None)
    errors = layout_errors(layout)
    if errors:
        raise DocumentError(errors)
    return layout


@transaction.atomic
def design_import_with_layout(
    *, snapshot: s.DesignSnapshot, layout: dict[str, Any] | None, user: Any = None
) -> tuple[m.Design, bool]:
    """Import ``snapshot`` and place its nodes where ``layout`` says; the design and whether its content changed."""
    design, changed = design_import_snapshot(snapshot=snapshot, user=user)
    if layout:
        apply_layout(design=design, layout=layout)
    return design, changed


@transaction.atomic
def design_create(*, data: dict[str, Any], user: Any = None) -> m.Design:
    """Create an empty design from API fields; ``user`` owns it."""
    return object_create(model=m.Design, data={**data, "owner": user}, user=user)


@transaction.atomic
def design_clone(*, design: m.Design, name: str, user: Any = None) -> m.Design:
    """A copy of ``design`` called ``name``: the same content and node positions, owned by ``user``.

    The copy is made the way an export and import would make it (the document with its layout), so it
    is recorded in the audit history object by object as an import by ``user``.
    """
    if m.Design.objects.filter(name=name).exists():
        raise ValidationError({"name": [f"A design named '{name}' exists already."]})
    design_name_validator(name)
    doc = document_with_layout(design=design)
    doc["name"] = name
    copy, _ = design_import_document(document_text=dump_document(doc), user=user)
    copy.owner = user
    copy.save(update_fields=["owner"])
    return copy


class _PreviewDone(Exception):
    """Raised to roll a previewed import back, carrying what it would have recorded."""

    def __init__(self, preview: ImportPreview):
        super().__init__("preview")
        self.preview = preview


@dataclass(frozen=True)
class ImportPreview:
    """What an import would do: whether the design exists, the audit entries it would write (unsaved) and
    the names of the objects those entries point at (read before the rollback: new objects have names too)."""

    existed: bool
    entries: list[AuditEntry]
    reference_names: dict[tuple[str, int], str]


def design_import_preview(*, document_text: str, user: Any = None) -> ImportPreview:
    """What importing ``document_text`` would change, object by object, without changing anything.

    The import runs for real inside a transaction that is then rolled back: the audit entries it wrote are
    the preview (the same code path as the import, so the two cannot disagree). Events go out on commit
    only, so nobody is told of a change that never happened. Returns whether the design exists already and
    the entries the import would write, in order. Raises ``ValidationError`` as the import does.
    """
    request_id = uuid.uuid4()
    existed = False
    try:
        with transaction.atomic():
            with change_context(source=ChangeSource.IMPORT, user=user, request_id=request_id):
                try:
                    name = load_document(document_text).get("name")
                    existed = isinstance(name, str) and m.Design.objects.filter(name=name).exists()
                except DocumentError:
                    pass  # the import below reports it, with every other problem
                design_import_document(document_text=document_text, user=user)
            rows = AuditEntry.objects.filter(request_id=request_id).select_related("object_type").order_by("id")
            entries = list(rows)
            raise _PreviewDone(ImportPreview(existed, entries, audit_reference_names(entries)))
    except _PreviewDone as done:
        return done.preview


def design_import_snapshot(*, snapshot: s.DesignSnapshot, user: Any = None) -> tuple[m.Design, bool]:
    """Create or update the design named in ``snapshot`` so that it equals the snapshot.

    The audit history records the changes as an ``import`` by ``user`` (default: the current change
    context's user).
    """
    outer = current_change_context()
    with change_context(source=ChangeSource.IMPORT, user=user or outer.acting_user(), request_id=outer.request_id):
        return _import_snapshot(snapshot)


@transaction.atomic
def _import_snapshot(snapshot: s.DesignSnapshot) -> tuple[m.Design, bool]:
    from ..validation import identity_findings

    identity = identity_findings(snapshot)
    if identity:
        raise ValidationError({"document": [f"{f.code}: {f.message}" for f in identity]})
    snapshot = canonical_snapshot(snapshot)
    design = m.Design.objects.select_for_update().filter(name=snapshot.name).first()
    if design is not None and document_from_snapshot(design_snapshot(design=design)) == document_from_snapshot(
        snapshot
    ):
        return design, False
    # Stored as in the document: a release equal to the inherited one is blank (inherited), not a copy.
    DesignSync(s.unresolve_releases(snapshot), design).run()
    return m.Design.objects.get(name=snapshot.name), True


@transaction.atomic
def design_delete(*, design: m.Design, user: Any = None) -> None:
    """Delete a design and everything in it (references inside it are RESTRICT, so the cascade may take them).

    A design with change requests or deployed revisions (its history) is not deleted: ``ObjectInUse``.
    """
    with change_context(source=current_change_context().source, user=user or current_change_context().acting_user()):
        object_delete(instance=design, user=user)


__all__ = ["design_delete", "design_import_document", "design_import_snapshot"]
