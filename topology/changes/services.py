"""Writes of change requests: create, submit, refresh, review, comment, deploy start/finish; revisions.

Every transition takes a row lock on the change request (``select_for_update``) and checks its rules
inside the same transaction, so two approvers at once never count wrong and two deploys of one
request never start. Every action (create, refresh, submit, review, comment, approvals voided by an
edit, deploy start and finish) is also in the audit history, written in the same transaction: the
request, approval or comment as it was before and after (``_audit``). Rule violations raise
:class:`ChangeRequestConflict` (HTTP 409) or ``PermissionDenied`` (HTTP 403) with a message that says
what to do.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q

from core.audit import record_operation, serialize_for_audit
from project.roles import user_can
from topology.events import publish_on_commit, user_group
from topology.locking import lock_designs
from topology.models import (
    OPEN_STATES,
    Approval,
    ChangeRequest,
    ChangeRequestComment,
    ChangeRequestHost,
    ChangeRequestState,
    ChangeRequestTransition,
    Design,
    ReviewDecision,
    Revision,
    RevisionHost,
)
from topology.selectors import design_contributor_ids, design_snapshot

from .freeze import content_hash, freeze_document, freeze_hosts

State = ChangeRequestState


class ChangeRequestConflict(Exception):
    """A transition that the request's current state or freshness does not allow."""


# Bulky derived fields of a request, kept out of its audit entries (they are on the request itself).
_AUDIT_OMITTED = ("document", "validation")


def _snapshot(obj: Any) -> dict[str, Any]:
    """What an audit entry records of a request, approval or comment before an action."""
    return {k: v for k, v in serialize_for_audit(obj).items() if k not in _AUDIT_OMITTED}


def _audit(obj: Any, before: dict[str, Any] | None) -> None:
    """Record the action on ``obj`` (before: its :func:`_snapshot` beforehand; None: it was created)."""
    record_operation(obj, before, omit=_AUDIT_OMITTED)


def _require(user: Any, action: str, what: str) -> None:
    if not user_can(user, action):
        raise PermissionDenied(f"you need the {what} role for this")


def _transition(cr: ChangeRequest, to_state: str, user: Any, reason: str = "") -> None:
    ChangeRequestTransition.objects.create(
        change_request=cr,
        from_state=cr.state,
        to_state=to_state,
        user=user if getattr(user, "is_authenticated", False) else None,
        user_name=user.get_username() if getattr(user, "is_authenticated", False) else "",
        reason=reason,
    )
    from_state = cr.state
    cr.state = to_state
    cr.version += 1
    cr.save(update_fields=["state", "version", "last_updated", "stale"])
    notify_state_change(cr, from_state, user)


def notify_state_change(cr: ChangeRequest, from_state: str, user: Any) -> None:
    """Tell the author that their request changed state, and approvers that a request waits for them."""
    by = user.get_username() if getattr(user, "is_authenticated", False) else ""
    event = {
        "type": "change_request.state", "id": cr.pk, "design": cr.design_id, "number": cr.number,
        "title": cr.title, "from_state": from_state, "state": cr.state, "by": by,
    }  # fmt: skip
    publish_on_commit(user_group(cr.author_id), event)
    if cr.state == State.SUBMITTED:
        reviewers = (
            get_user_model()
            .objects.filter(Q(groups__name__in=("approver", "admin")) | Q(is_superuser=True), is_active=True)
            .exclude(pk=cr.author_id)
            .values_list("pk", flat=True)
            .distinct()
        )
        for reviewer in reviewers:
            publish_on_commit(user_group(reviewer), {**event, "type": "change_request.review_requested"})


def _locked(cr: ChangeRequest) -> ChangeRequest:
    """The request's row, locked, after its design's row (lock order: design, then request; see
    docs/change-requests.md): a transition that depends on the design's content serializes with edits."""
    lock_designs([cr.design_id])
    return ChangeRequest.objects.select_for_update().get(pk=cr.pk)


def latest_revision(design: Design) -> Revision | None:
    """The design's most recently deployed revision, if any."""
    return Revision.objects.filter(design=design).order_by("-number").first()


def _deployed_hosts(revision: Revision | None) -> dict[str, dict[str, Any]]:
    if revision is None:
        return {}
    return {h.host_name: {"script": h.script, "files": h.files} for h in revision.hosts.all()}


def _contributions_since(revision: Revision | None) -> Any:
    """When the content of the last deployed revision was fixed: its request's move to ``deploying``
    (the design was checked equal to the frozen content then, under the design's lock); None: never deployed.
    """
    if revision is None:
        return None
    started = (
        ChangeRequestTransition.objects.filter(change_request_id=revision.change_request_id, to_state=State.DEPLOYING)
        .order_by("-time")
        .values_list("time", flat=True)
        .first()
    )
    return started or revision.created


def _freeze_into(cr: ChangeRequest) -> None:
    """Snapshot the design now, validate and render it, diff against the base revision; store all of it."""
    from topology.render.freebsd import UnsafeValueError, render_design
    from topology.validation import validate

    snapshot = design_snapshot(design=cr.design)
    cr.document, cr.content_hash = freeze_document(snapshot)
    report = validate(snapshot)
    cr.validation = report.as_dict()
    cr.error_count = len(report.errors)
    cr.warning_count = len(report.warnings)
    cr.base_revision = latest_revision(cr.design)
    cr.required_approvals = cr.design.required_approvals
    cr.stale = False
    try:
        rendered = render_design(snapshot)
    except UnsafeValueError as exc:  # a value stored before the allow-lists existed; JN117 says where
        raise ValidationError({"design": [f"cannot be rendered: {exc}"]}) from exc
    frozen = freeze_hosts(rendered, _deployed_hosts(cr.base_revision))
    if cr.pk is not None:
        ChangeRequestHost.objects.filter(change_request=cr).delete()
    cr.save()
    cr.contributors.set(
        design_contributor_ids(design_id=cr.design_id, since=_contributions_since(cr.base_revision)), clear=True
    )
    ChangeRequestHost.objects.bulk_create(
        [
            ChangeRequestHost(
                change_request=cr, host_name=h.host_name, script=h.script, files=h.files, diff=h.diff, changed=h.changed
            )
            for h in frozen
        ],
        batch_size=500,
    )


@transaction.atomic
def change_request_create(*, design: Design, user: Any, title: str, description: str = "") -> ChangeRequest:
    """Freeze the design as it is now into a new draft change request authored by ``user``."""
    _require(user, "edit_design", "designer")
    design = Design.objects.select_for_update().get(pk=design.pk)
    number = (ChangeRequest.objects.filter(design=design).aggregate(n=Max("number"))["n"] or 0) + 1
    cr = ChangeRequest(design=design, number=number, title=title, description=description, author=user)
    _freeze_into(cr)
    ChangeRequestTransition.objects.create(
        change_request=cr, from_state="", to_state=State.DRAFT, user=user, user_name=user.get_username()
    )
    _audit(cr, None)
    return cr


@transaction.atomic
def change_request_refresh(*, change_request: ChangeRequest, user: Any) -> ChangeRequest:
    """Re-freeze a request from the current design (after edits); approvals are voided, it returns to draft."""
    cr = _locked(change_request)
    _require(user, "edit_design", "designer")
    if cr.state not in (State.DRAFT, State.SUBMITTED, State.CHANGES_REQUESTED, State.APPROVED):
        raise ChangeRequestConflict(f"a {cr.get_state_display().lower()} request cannot be refreshed")
    before = _snapshot(cr)
    _freeze_into(cr)
    _void_approvals(Approval.objects.filter(change_request=cr, voided=False))
    if cr.state != State.DRAFT:
        _transition(cr, State.DRAFT, user, "refreshed from the current design")
    # A refresh with nothing new still belongs in the history: the request was looked at and re-frozen.
    record_operation(cr, None if before == _snapshot(cr) else before, omit=_AUDIT_OMITTED)
    return cr


def _void_approvals(approvals: Any) -> None:
    """Void live approvals, each with its own audit entry."""
    for approval in approvals.select_for_update():
        before = _snapshot(approval)
        approval.voided = True
        approval.save(update_fields=["voided"])
        _audit(approval, before)


@transaction.atomic
def change_request_submit(*, change_request: ChangeRequest, user: Any, reason: str = "") -> ChangeRequest:
    """Ask for review. Only a fresh draft (or a request whose changes were requested) can be submitted."""
    cr = _locked(change_request)
    _require(user, "edit_design", "designer")
    if cr.state not in (State.DRAFT, State.CHANGES_REQUESTED):
        raise ChangeRequestConflict(f"a {cr.get_state_display().lower()} request cannot be submitted")
    if cr.stale:
        raise ChangeRequestConflict("the design changed since this request was frozen: refresh it first")
    before = _snapshot(cr)
    _transition(cr, State.SUBMITTED, user, reason)
    _audit(cr, before)
    return cr


@transaction.atomic
def change_request_review(
    *, change_request: ChangeRequest, user: Any, decision: str, comment: str = ""
) -> ChangeRequest:
    """Record an approver's decision; enough approvals make the request approved.

    The author never reviews their own request; nobody who changed the frozen content (a contributor
    since the last deployed revision) approves it; a stale request or one whose design has errors
    cannot be approved; a reviewer approves once.
    """
    cr = _locked(change_request)
    _require(user, "approve", "approver")
    if cr.author_id == user.pk:
        raise PermissionDenied("you cannot review your own change request: another approver must")
    if decision == ReviewDecision.APPROVE and cr.contributors.filter(pk=user.pk).exists():
        raise PermissionDenied(
            "you changed this design since its last deployment, so this request includes your own changes: "
            "an approver who did not change it must approve"
        )
    if cr.state != State.SUBMITTED:
        raise ChangeRequestConflict(
            f"only submitted requests can be reviewed; this one is {cr.get_state_display().lower()}"
        )
    if decision not in ReviewDecision.values:
        raise ChangeRequestConflict(f"unknown decision '{decision}'")
    if decision == ReviewDecision.APPROVE:
        if cr.stale:
            raise ChangeRequestConflict("the design changed since this request was frozen: it must be refreshed")
        if cr.error_count:
            raise ChangeRequestConflict(f"the design has {cr.error_count} validation error(s): it cannot be approved")
        if cr.approvals.filter(user=user, voided=False, decision=ReviewDecision.APPROVE).exists():
            raise ChangeRequestConflict("you already approved this request")
    before = _snapshot(cr)
    _audit(Approval.objects.create(change_request=cr, user=user, decision=decision, comment=comment), None)
    if decision == ReviewDecision.APPROVE:
        live = cr.approvals.filter(voided=False, decision=ReviewDecision.APPROVE).count()
        if live >= cr.required_approvals:
            _transition(cr, State.APPROVED, user, comment)
    elif decision == ReviewDecision.REQUEST_CHANGES:
        _transition(cr, State.CHANGES_REQUESTED, user, comment)
    else:
        _transition(cr, State.REJECTED, user, comment)
    _audit(cr, before)
    return cr


@transaction.atomic
def change_request_comment(
    *, change_request: ChangeRequest, user: Any, body: str, host_name: str = "", line: int | None = None
) -> ChangeRequestComment:
    """Comment on a request, or on one host's diff (optionally a line of it)."""
    _require(user, "read", "viewer")
    if not body.strip():
        raise ChangeRequestConflict("a comment needs some text")
    if host_name and not change_request.hosts.filter(host_name=host_name).exists():
        raise ChangeRequestConflict(f"this request has no host '{host_name}'")
    comment = ChangeRequestComment.objects.create(
        change_request=change_request, user=user, body=body, host_name=host_name, line=line
    )
    _audit(comment, None)
    return comment


@transaction.atomic
def deployment_start(*, change_request: ChangeRequest, user: Any) -> ChangeRequest:
    """Move an approved, still-current request to ``deploying``; refuse anything else.

    Current means: not stale, the design still has exactly the frozen content, and nothing else was
    deployed since it was frozen. Two concurrent calls: the row lock lets one through.
    """
    cr = _locked(change_request)
    _require(user, "deploy", "operator")
    if cr.state != State.APPROVED:
        raise ChangeRequestConflict(
            f"only approved requests can be deployed; this one is {cr.get_state_display().lower()}"
        )
    if cr.stale:
        raise ChangeRequestConflict("the design changed after approval: refresh and get it approved again")
    if content_hash(design_snapshot(design=cr.design)) != cr.content_hash:
        raise ChangeRequestConflict("the design no longer matches the approved snapshot: refresh and review again")
    latest = latest_revision(cr.design)
    if (latest.pk if latest else None) != cr.base_revision_id:
        raise ChangeRequestConflict("another change was deployed since this request was frozen: refresh it")
    before = _snapshot(cr)
    _transition(cr, State.DEPLOYING, user)
    _audit(cr, before)
    return cr


@transaction.atomic
def deployment_restart(*, change_request: ChangeRequest, user: Any) -> ChangeRequest:
    """Move a request whose deployment ended ``failed``, ``partly_deployed`` or ``rolled_back`` back to
    ``deploying`` (an operator retries its failed hosts); refuse when the design moved on since it was frozen."""
    cr = _locked(change_request)
    _require(user, "deploy", "operator")
    if cr.state not in (State.FAILED, State.PARTLY_DEPLOYED, State.ROLLED_BACK):
        raise ChangeRequestConflict(
            f"only a failed, partly deployed or rolled back request can be retried; this one is "
            f"{cr.get_state_display().lower()}"
        )
    if content_hash(design_snapshot(design=cr.design)) != cr.content_hash:
        raise ChangeRequestConflict("the design no longer matches the approved snapshot: make a new request")
    latest = latest_revision(cr.design)
    if (latest.pk if latest else None) != cr.base_revision_id:
        raise ChangeRequestConflict("another change was deployed since this request was frozen: make a new request")
    before = _snapshot(cr)
    _transition(cr, State.DEPLOYING, user, "retry of the failed hosts")
    _audit(cr, before)
    return cr


@transaction.atomic
def deployment_finish(*, change_request: ChangeRequest, user: Any, outcome: str, reason: str = "") -> ChangeRequest:
    """Record how a deployment ended: ``deployed`` (a new revision), ``partly_deployed`` (some hosts have it, no
    revision: the design is not deployed as a whole), ``failed`` or ``rolled_back``."""
    cr = _locked(change_request)
    if cr.state != State.DEPLOYING:
        raise ChangeRequestConflict(f"this request is not deploying; it is {cr.get_state_display().lower()}")
    if outcome not in (State.DEPLOYED, State.PARTLY_DEPLOYED, State.FAILED, State.ROLLED_BACK):
        raise ChangeRequestConflict(f"unknown outcome '{outcome}'")
    before = _snapshot(cr)
    if outcome == State.DEPLOYED:
        number = (Revision.objects.filter(design=cr.design).aggregate(n=Max("number"))["n"] or 0) + 1
        revision = Revision.objects.create(
            design=cr.design, number=number, document=cr.document, content_hash=cr.content_hash, change_request=cr,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )  # fmt: skip
        RevisionHost.objects.bulk_create(
            [
                RevisionHost(revision=revision, host_name=h.host_name, script=h.script, files=h.files)
                for h in cr.hosts.all()
                if h.script or h.files
            ],
            batch_size=500,
        )
    _transition(cr, outcome, user, reason)
    _audit(cr, before)
    return cr


def design_changed(design_id: int) -> None:
    """A design's content changed: its open requests become stale and their approvals void.

    Runs on ``design_content_changed`` (``topology/changes/receivers.py``), in the transaction of the change; a
    change saved outside one (a shell, a script) gets its own here, which the row locks need on PostgreSQL.
    """
    with transaction.atomic():
        _design_changed(design_id)


def _design_changed(design_id: int) -> None:
    open_requests = ChangeRequest.objects.filter(design_id=design_id, state__in=OPEN_STATES, stale=False)
    ids = list(open_requests.values_list("pk", flat=True))
    if not ids:
        return
    for cr in ChangeRequest.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        before = _snapshot(cr)
        cr.stale = True
        fields = ["stale", "last_updated"]
        if cr.state == State.APPROVED:
            # An approved request whose approvals were voided is waiting for review again.
            ChangeRequestTransition.objects.create(
                change_request=cr, from_state=cr.state, to_state=State.SUBMITTED,
                reason="the design changed after approval: approvals voided",
            )  # fmt: skip
            cr.state = State.SUBMITTED
            cr.version += 1
            fields += ["state", "version"]
        cr.save(update_fields=fields)
        _void_approvals(Approval.objects.filter(change_request=cr, voided=False))
        _audit(cr, before)


@transaction.atomic
def revision_restore(*, revision: Revision, user: Any) -> ChangeRequest:
    """Make the design equal revision N again and open a draft request for it (reviewed like any change)."""
    from topology.services.designs import design_import_document

    _require(user, "edit_design", "designer")
    design, _ = design_import_document(document_text=revision.document, user=user)
    return change_request_create(
        design=design,
        user=user,
        title=f"Restore revision {revision.number}",
        description=f"Restores {design.name} to revision {revision.number}.",
    )
