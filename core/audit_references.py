"""Names for the ids an audit entry's values hold: ``host_id 18`` is shown as ``jailhost-a (#18)``.

The history keeps ids (links use them, and a name changes); the names are looked up when the history is
read, with one query per referenced model whatever the number of entries.
"""

from __future__ import annotations

from typing import Any

from .models import AuditEntry


def references_of(entry: AuditEntry) -> list[tuple[str, str, int, Any]]:
    """(field attname, referenced model name, id, referenced model) of each reference the entry's values hold."""
    model = entry.object_type.model_class()
    out: list[tuple[str, str, int, Any]] = []
    if model is None:
        return out
    for field in model._meta.concrete_fields:
        related = field.related_model
        if not field.is_relation or related is None or isinstance(related, str):
            continue
        for values in (entry.before, entry.after):
            value = values.get(field.attname) if isinstance(values, dict) else None
            if isinstance(value, int) and not isinstance(value, bool):
                out.append((field.attname, str(related._meta.model_name), value, related))
    return out


def audit_reference_names(entries: list[AuditEntry]) -> dict[tuple[str, int], str]:
    """Names of the objects the entries' ``*_id`` fields point at: one query per referenced model.

    The history keeps ids (they are what links use); names are looked up when the history is read. An
    object deleted since shows its id only. Models without a ``name`` field are shown by id as well.
    """
    wanted: dict[Any, set[int]] = {}
    for entry in entries:
        for _, _, value, related in references_of(entry):
            wanted.setdefault(related, set()).add(value)
    names: dict[tuple[str, int], str] = {}
    for related, ids in wanted.items():
        label = "username" if related._meta.model_name == "user" else "name"
        if not any(f.name == label for f in related._meta.concrete_fields):
            continue
        for pk, name in related._default_manager.filter(pk__in=ids).values_list("pk", label):
            names[(related._meta.model_name, pk)] = name
    return names
