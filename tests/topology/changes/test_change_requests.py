"""Change requests: four-eyes approval of the exact per-host diff, freshness, atomic transitions, revisions."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import close_old_connections

from topology.changes.services import (
    ChangeRequestConflict,
    change_request_create,
    change_request_refresh,
    change_request_review,
    change_request_submit,
    deployment_finish,
    deployment_start,
    revision_restore,
)
from topology.models import Approval, ChangeRequest, Host, JailNic, Revision
from topology.services.designs import design_import_document

DOC = """\
format: jailnet-design/1
name: review-me
hosts:
  - name: jailhost
    tools: [iocage, vm-bhyve]
    default_router: 192.168.0.1
    interfaces:
      - name: em0
        address: 192.168.0.2/24
    switches:
      - name: services
        kind: vm-switch
        address: 10.1.1.1/24
    jails:
      - name: vnetcage
        type: vnet
        default_router: 10.1.1.1
        nics:
          - name: vnet0
            switch: services
            address: 10.1.1.2/24
"""


@pytest.fixture
def people(make_user):
    return {
        "author": make_user("author", "designer"),
        "other_designer": make_user("designer2", "designer"),
        "approver": make_user("approver", "approver"),
        "approver2": make_user("approver2", "approver"),
        "viewer": make_user("viewer", "viewer"),
        "operator": make_user("operator", "operator"),
    }


@pytest.fixture
def submitted(db, people):
    design, _ = design_import_document(document_text=DOC)
    cr = change_request_create(design=design, user=people["author"], title="first deploy")
    return change_request_submit(change_request=cr, user=people["author"])


def test_request_freezes_document_validation_and_per_host_diff_against_nothing(submitted):
    cr = submitted
    assert cr.state == "submitted"
    assert len(cr.content_hash) == 64
    assert "name: review-me" in cr.document
    assert cr.error_count == 0, cr.validation
    (host,) = cr.hosts.all()
    assert host.host_name == "jailhost"
    assert host.changed
    assert "--- /dev/null" in host.diff  # a first deploy is diffed against nothing
    assert "+" in host.diff and "10.1.1.2" in host.diff


def test_author_cannot_approve_own_change_request(submitted, make_user):
    author = submitted.author
    author.groups.add(*make_user("x", "approver").groups.all())  # even holding the approver role
    author.__dict__.pop("_jailnet_roles", None)
    with pytest.raises(PermissionDenied, match="your own"):
        change_request_review(change_request=submitted, user=author, decision="approve")
    assert not Approval.objects.exists()


@pytest.mark.parametrize("role", ["viewer", "other_designer", "operator"])
def test_users_without_the_approver_role_cannot_approve(submitted, people, role):
    with pytest.raises(PermissionDenied, match="approver"):
        change_request_review(change_request=submitted, user=people[role], decision="approve")


def test_approval_then_deploy_creates_revision_and_next_request_diffs_against_it(submitted, people):
    cr = change_request_review(change_request=submitted, user=people["approver"], decision="approve", comment="ok")
    assert cr.state == "approved"
    cr = deployment_start(change_request=cr, user=people["operator"])
    assert cr.state == "deploying"
    cr = deployment_finish(change_request=cr, user=people["operator"], outcome="deployed")
    revision = Revision.objects.get()
    assert (revision.number, revision.content_hash) == (1, cr.content_hash)
    assert list(cr.transitions.values_list("to_state", flat=True)) == [
        "draft", "submitted", "approved", "deploying", "deployed",
    ]  # fmt: skip

    nic = JailNic.objects.get()
    nic.address = "10.1.1.3/24"
    nic.save()
    second = change_request_create(design=cr.design, user=people["author"], title="move the jail")
    assert second.base_revision == revision
    diff = second.hosts.get().diff
    assert "10.1.1.3" in diff and "10.1.1.2" in diff
    assert "/dev/null" not in diff  # diffed against revision 1, not against nothing
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert all("10.1.1." in line for line in changed), changed


def test_design_edit_after_submission_makes_request_stale_and_voids_approvals(submitted, people, make_user):
    submitted.required_approvals = 2
    submitted.save()
    change_request_review(change_request=submitted, user=people["approver"], decision="approve")
    nic = JailNic.objects.get()
    nic.address = "10.1.1.9/24"
    nic.save()
    cr = ChangeRequest.objects.get(pk=submitted.pk)
    assert cr.stale
    assert not Approval.objects.filter(voided=False).exists()
    with pytest.raises(ChangeRequestConflict, match="refresh"):
        change_request_review(change_request=cr, user=people["approver2"], decision="approve")


def test_stale_approval_cannot_deploy(submitted, people):
    cr = change_request_review(change_request=submitted, user=people["approver"], decision="approve")
    assert cr.state == "approved"
    host = Host.objects.get()
    host.default_router = "192.168.0.254"
    host.save()
    cr = ChangeRequest.objects.get(pk=cr.pk)
    assert cr.stale and cr.state == "submitted"
    with pytest.raises(ChangeRequestConflict):
        deployment_start(change_request=cr, user=people["operator"])


def test_moving_a_node_on_the_canvas_does_not_make_requests_stale(submitted):
    host = Host.objects.get()
    host.position_x, host.position_y = 120.0, 40.0
    host.save()
    assert not ChangeRequest.objects.get(pk=submitted.pk).stale


def test_refresh_refreezes_and_returns_to_draft(submitted, people):
    nic = JailNic.objects.get()
    nic.address = "10.1.1.7/24"
    nic.save()
    cr = change_request_refresh(change_request=submitted, user=people["author"])
    assert (cr.state, cr.stale) == ("draft", False)
    assert "10.1.1.7" in cr.hosts.get().diff


def test_request_with_validation_errors_cannot_be_approved(db, people):
    broken = DOC.replace("address: 10.1.1.2/24", "address: 10.9.9.2/24")
    design, _ = design_import_document(document_text=broken)
    cr = change_request_create(design=design, user=people["author"], title="broken")
    assert cr.error_count > 0
    cr = change_request_submit(change_request=cr, user=people["author"])
    with pytest.raises(ChangeRequestConflict, match="validation error"):
        change_request_review(change_request=cr, user=people["approver"], decision="approve")


def test_request_changes_and_reject(submitted, people):
    cr = change_request_review(change_request=submitted, user=people["approver"], decision="request_changes")
    assert cr.state == "changes_requested"
    cr = change_request_submit(change_request=cr, user=people["author"])
    cr = change_request_review(change_request=cr, user=people["approver"], decision="reject", comment="no")
    assert cr.state == "rejected"
    with pytest.raises(ChangeRequestConflict):
        change_request_submit(change_request=cr, user=people["author"])


def test_restore_revision_makes_design_equal_again_as_a_new_draft(submitted, people):
    cr = change_request_review(change_request=submitted, user=people["approver"], decision="approve")
    cr = deployment_finish(
        change_request=deployment_start(change_request=cr, user=people["operator"]),
        user=people["operator"],
        outcome="deployed",
    )
    nic = JailNic.objects.get()
    nic.address = "10.1.1.50/24"
    nic.save()
    restore = revision_restore(revision=Revision.objects.get(), user=people["author"])
    assert JailNic.objects.get().address == "10.1.1.2/24"
    assert restore.state == "draft"
    assert restore.content_hash == cr.content_hash
    assert not any(h.changed for h in restore.hosts.all())


def _race(fn, n: int = 2) -> list:
    """Run ``fn`` in ``n`` threads at once; return what each returned or raised."""
    results: list = [None] * n
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = fn(i)
        except Exception as exc:  # the test inspects what each thread got
            results[i] = exc
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_approvals_of_a_one_approval_request_count_once(people):
    design, _ = design_import_document(document_text=DOC)
    cr = change_request_submit(
        change_request=change_request_create(design=design, user=people["author"], title="race"), user=people["author"]
    )
    approvers = [people["approver"], people["approver2"]]
    results = _race(lambda i: change_request_review(change_request=cr, user=approvers[i], decision="approve"))
    assert sum(isinstance(r, ChangeRequest) for r in results) == 1, results
    assert sum(isinstance(r, ChangeRequestConflict) for r in results) == 1, results
    assert Approval.objects.filter(change_request=cr).count() == 1
    assert cr.transitions.filter(to_state="approved").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_deploys_of_one_request_never_both_start(people, make_user):
    design, _ = design_import_document(document_text=DOC)
    cr = change_request_submit(
        change_request=change_request_create(design=design, user=people["author"], title="race"), user=people["author"]
    )
    change_request_review(change_request=cr, user=people["approver"], decision="approve")
    operators = [people["operator"], make_user("operator2", "operator")]
    results = _race(lambda i: deployment_start(change_request=cr, user=operators[i]))
    assert sum(isinstance(r, ChangeRequest) for r in results) == 1, results
    assert ChangeRequest.objects.get(pk=cr.pk).transitions.filter(to_state="deploying").count() == 1
