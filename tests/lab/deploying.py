"""What the deploy tests on lab hosts share: the people of a four-eyes deploy, S10 brought up as a lab under a
name of its own (and brought down with nothing left), and an approved change request."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.contrib.auth.models import User

from executors.lab.lifecycle import lab_down, lab_up, leftovers
from executors.lab.services import lab_state_dir
from topology.changes.services import change_request_create, change_request_review, change_request_submit
from topology.models import ChangeRequest, Design
from topology.selectors import design_snapshot
from topology.services.designs import design_import_document

from .documents import S10
from .support import unique_name

HOSTS = ("gateway", "jailhost-a", "jailhost-b")  # S10's hosts


def deploy_people(make_user: Callable[..., User]) -> dict[str, User]:
    """An author (designer), an approver and an operator: three people, as the four-eyes rule wants."""
    return {
        "author": make_user("author", "designer"),
        "approver": make_user("approver", "approver"),
        "operator": make_user("operator", "operator"),
    }


@contextmanager
def s10_lab(prefix: str) -> Iterator[tuple[Design, Path]]:
    """S10 imported under a unique name starting with ``prefix`` and brought up as a lab; down again after."""
    name = unique_name(prefix)
    design, _ = design_import_document(document_text=S10.replace("name: lab-s10-vxlan", f"name: {name}"))
    state_dir = lab_state_dir(name)
    lab_up(design_snapshot(design=design), state_dir)
    try:
        yield design, state_dir
    finally:
        lab_down(name, state_dir)
        assert leftovers(name) == {"namespaces": [], "processes": []}


def approved(design: Design, people: dict[str, User], title: str) -> ChangeRequest:
    """A change request of ``design``'s current content, submitted by the author and approved by the approver."""
    cr = change_request_create(design=design, user=people["author"], title=title)
    cr = change_request_submit(change_request=cr, user=people["author"])
    return change_request_review(change_request=cr, user=people["approver"], decision="approve")
