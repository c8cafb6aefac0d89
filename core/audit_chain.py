"""The audit history as a hash chain: appending entries, and verifying that nothing was changed since.

Each entry's ``entry_hash`` is SHA-256 over the ``entry_hash`` of the entry before it (by id) and the
entry's own content, in a canonical JSON form. Appends lock the chain's head row for the rest of the
transaction, so concurrent writers link their entries one after the other, in commit order; an entry and
its hash are written in the transaction of the change. Changing, removing or inserting any entry (even
with the triggers dropped, by the database's owner) breaks the link at that entry or the next one, and
:func:`verify_chain` finds it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction

from .models.audit import AuditChainHead, AuditEntry

GENESIS = "0" * 64


def entry_digest(entry: AuditEntry, previous_hash: str) -> str:
    """The hash of ``entry`` linked to ``previous_hash`` (as stored: the same before and after a round trip)."""
    content = [
        previous_hash,
        entry.time.isoformat(timespec="microseconds"),
        entry.user_id,
        entry.user_name,
        str(entry.request_id) if entry.request_id else None,
        entry.source,
        entry.action,
        entry.object_type_id,
        entry.object_id,
        entry.object_repr,
        entry.design_id,
        entry.design_name,
        entry.host_name,
        entry.before,
        entry.after,
    ]
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _locked_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:  # a database migrated before the chain existed gets its head on first use
        head, _ = AuditChainHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS})
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


@transaction.atomic
def append_entries(entries: Sequence[AuditEntry], *, batch_size: int = 2000) -> None:
    """Link ``entries`` (new, unsaved) to the end of the chain, in order, and insert them.

    Lock order: the chain's head is the last lock a writer takes (after designs, objects and change
    requests), held until its transaction ends.
    """
    if not entries:
        return
    head = _locked_head()
    previous = head.last_hash
    for entry in entries:
        entry.previous_hash = previous
        entry.entry_hash = previous = entry_digest(entry, previous)
    if len(entries) == 1:
        entries[0].save(force_insert=True)
    else:
        AuditEntry.objects.bulk_create(entries, batch_size=batch_size)
    head.last_hash = previous
    head.length += len(entries)
    head.save(update_fields=["last_hash", "length"])


@dataclass(frozen=True)
class ChainReport:
    """What :func:`verify_chain` found: entries checked, and the first broken link (None: intact)."""

    checked: int
    broken_entry_id: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        """Whether every link held."""
        return not self.reason


def verify_chain(*, chunk: int = 5000) -> ChainReport:
    """Recompute the chain from the first entry (by id) and compare it with what is stored and with its head."""
    previous = GENESIS
    checked = 0
    rows: Iterable[AuditEntry] = AuditEntry.objects.order_by("id").iterator(chunk_size=chunk)
    for entry in rows:
        if entry.previous_hash != previous:
            return ChainReport(checked, entry.pk, "it does not link to the entry before it (one was removed, "
                               "inserted or changed before it)")  # fmt: skip
        if entry_digest(entry, previous) != entry.entry_hash:
            return ChainReport(checked, entry.pk, "its content does not match its hash (the entry was changed)")
        previous = entry.entry_hash
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if checked and head is not None and (head.last_hash, head.length) != (previous, checked):
        return ChainReport(
            checked, None, f"the chain has {checked} entries but its head records {head.length} (entries at the end "
            "were removed, or added without the chain)",
        )  # fmt: skip
    return ChainReport(checked)
