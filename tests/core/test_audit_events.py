"""The audit recorder only records and announces; the topology room turns design changes into its own event."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from core.audit import audit_recorded, record_operation, serialize_for_audit
from core.models import AuditEntry
from executors.models import Lab
from inventory.models import Credential
from topology.changes.services import change_request_create, change_request_submit
from topology.models import ChangeRequest, Design, Host, Interface
from topology.services.designs import design_import_document
from topology.signals import design_content_changed

DOC = """\
format: jailnet-design/1
name: evented
hosts:
  - name: jailhost
    tools: [iocage]
    interfaces:
      - name: em0
        address: 192.168.0.2/24
"""

pytestmark = pytest.mark.django_db


def _listen(signal: Any) -> Iterator[list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        calls.append({"sender": sender, **kwargs})

    signal.connect(receiver, weak=False, dispatch_uid="test-listener")
    try:
        yield calls
    finally:
        signal.disconnect(dispatch_uid="test-listener")


@pytest.fixture
def recorded() -> Iterator[list[dict[str, Any]]]:
    yield from _listen(audit_recorded)


@pytest.fixture
def content_changed() -> Iterator[list[dict[str, Any]]]:
    yield from _listen(design_content_changed)


def test_recorder_announces_each_saved_entry_with_its_model(recorded):
    credential = Credential(name="ops", kind="password", username="root")
    credential.set_secret("s3cret")
    credential.save()
    [call] = recorded
    assert call["sender"] is Credential and call["bulk"] is False
    assert call["entries"] == [AuditEntry.objects.get(object_id=credential.pk)]
    assert call["entries"][0].design_id is None  # inventory belongs to no design


def test_an_import_is_announced_in_bulk_per_model_and_changes_the_design_once_per_model(recorded, content_changed):
    design, _ = design_import_document(document_text=DOC)
    # The design row itself is saved (one entry); what it holds is written and recorded in bulk, per model.
    assert [call["sender"] for call in recorded if not call["bulk"]] == [Design]
    assert {call["sender"] for call in recorded if call["bulk"]} == {Host, Interface}
    assert sum(len(call["entries"]) for call in recorded) == AuditEntry.objects.filter(design_id=design.pk).count()
    assert {call["design_id"] for call in content_changed} == {design.pk}


def test_moving_a_host_on_the_canvas_is_recorded_but_does_not_change_the_design(recorded, content_changed):
    design_import_document(document_text=DOC)
    recorded.clear()
    content_changed.clear()
    host = Host.objects.get()
    host.position_x = 42.0
    host.save()
    assert [call["entries"][0].action for call in recorded] == ["update"]
    assert content_changed == []


def test_deleting_a_design_does_not_announce_a_change_of_the_design_itself(content_changed):
    design, _ = design_import_document(document_text=DOC)
    content_changed.clear()
    design.delete()
    # The cascade deletes the host and its interface (content of a design going away); the design's own
    # deletion is no change of its content.
    assert {call["sender"] for call in content_changed} == {Host, Interface}


def test_a_lab_operation_is_recorded_in_the_design_history_without_making_its_requests_stale(make_user):
    design, _ = design_import_document(document_text=DOC)
    author = make_user("author", "designer")
    request = change_request_submit(
        change_request=change_request_create(design=design, user=author, title="t"), user=author
    )
    lab = Lab.objects.create(design=design, lab_id="jntest")
    before = serialize_for_audit(lab)
    lab.state = "up"
    lab.save()
    entry = record_operation(lab, before)
    assert entry is not None and (entry.design_id, entry.design_name) == (design.pk, "evented")
    assert not ChangeRequest.objects.get(pk=request.pk).stale
