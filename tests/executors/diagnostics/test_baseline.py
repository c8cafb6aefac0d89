"""What "Check drift" compares a host with: the version deployed on it, not the design as edited since.

A design edited after its deploy gives no finding for the edit (it is not deployed yet); a real difference between
the host and the deployed version is still found, linked to the deployed version's object (even one the design no
longer has); a host never deployed by the app is compared with the current design, and says so; a lab brought up
from an earlier version is refused with "bring it up again" rather than reported as drift.
"""

from __future__ import annotations

import re

import pytest

from executors.deploy.models import Deployment, DeploymentHost, DeploymentState, DeploymentTarget, HostOutcome
from executors.diagnostics.baseline import LabStaleForDrift, host_baselines
from executors.diagnostics.catalogue import Target
from executors.diagnostics.drift import drift_of_host
from executors.models import Lab, LabState
from topology.changes.freeze import content_hash
from topology.design_io import document_from_snapshot, dump_document
from topology.models import ChangeRequest, Design, Revision, VirtualMachine, VxlanSegment
from topology.selectors import design_snapshot

from .support import ROOT, freebsd

pytestmark = pytest.mark.django_db(transaction=True)

S10 = (ROOT / "examples" / "s10-vxlan-multicast.yaml").read_text()
LIVE = {
    "interfaces": freebsd("s10-jailhost-b-ifconfig.txt"),
    "multicast-memberships": freebsd("s10-jailhost-b-ifmcstat.txt"),
    "pf-nat": "",
    "jails": freebsd("s10-jailhost-b-jls.txt"),
}


@pytest.fixture
def design(make_user) -> Design:
    from topology.services.designs import design_import_document

    design, _ = design_import_document(document_text=re.sub(r"^name: .*$", "name: diag-base", S10, count=1, flags=re.M))
    return design


def deploy(design: Design, user, *, hosts: tuple[str, ...], whole: bool = True) -> ChangeRequest:
    """Record a deployment of the design as it is now on ``hosts`` (a revision when ``whole``)."""
    snapshot = design_snapshot(design=design)
    cr = ChangeRequest.objects.create(
        design=design, number=ChangeRequest.objects.filter(design=design).count() + 1, title="deploy", author=user,
        state="deployed" if whole else "partly_deployed",
        document=dump_document(document_from_snapshot(snapshot)), content_hash=content_hash(snapshot),
    )  # fmt: skip
    deployment = Deployment.objects.create(
        change_request=cr, design_id=design.pk, design_name=design.name, target=DeploymentTarget.INVENTORY,
        state=DeploymentState.DEPLOYED if whole else DeploymentState.PARTLY_DEPLOYED,
    )  # fmt: skip
    for name in hosts:
        DeploymentHost.objects.create(deployment=deployment, host_name=name, outcome=HostOutcome.DEPLOYED)
    if whole:
        number = Revision.objects.filter(design=design).count() + 1
        Revision.objects.create(design=design, number=number, document=cr.document, content_hash=cr.content_hash,
                                change_request=cr)  # fmt: skip
    return cr


def findings(design: Design, outputs: dict[str, str] = LIVE) -> tuple[str, list[tuple[str, str, str, int | None]]]:
    baseline = host_baselines(design, design_snapshot(design=design), Target.FREEBSD)["jailhost-b"]
    found = drift_of_host(baseline.snapshot, "jailhost-b", Target.FREEBSD, outputs)
    return baseline.label, [(f.code, f.message, f.ref.path, f.ref.id) for f in found]


def edit_after_deploy(design: Design) -> int:
    """Edits that would all be drift against the design as it is now; returns the deleted VM's id."""
    VxlanSegment.objects.filter(design=design, vni=222).update(multicast_group="239.0.0.99")
    vm = VirtualMachine.objects.get(host__design=design, name="guest-b")
    vm_id = vm.pk
    vm.delete()
    return vm_id


def test_a_design_edited_after_its_deploy_gives_no_finding_for_the_edit(design, make_user):
    user = make_user("deployer")
    deploy(design, user, hosts=("jailhost-a", "jailhost-b"))
    assert findings(design) == ("revision 1", [])
    edit_after_deploy(design)
    # Against the design as it is now, the edits would be drift ...
    now = drift_of_host(design_snapshot(design=design), "jailhost-b", Target.FREEBSD, LIVE)
    assert {f.code for f in now} >= {"vxlan-group", "member-extra"}
    # ... against what was deployed, they are not.
    assert findings(design) == ("revision 1", [])


def test_a_real_drift_is_still_found_and_linked_to_the_deployed_object_even_one_since_deleted(design, make_user):
    deploy(design, make_user("deployer"), hosts=("jailhost-a", "jailhost-b"))
    vm_id = edit_after_deploy(design)
    live = {**LIVE, "interfaces": LIVE["interfaces"].replace("group 239.0.0.222:4789", "group 239.0.0.223:4789")}
    label, found = findings(design, live)
    assert label == "revision 1"
    assert [f[:3] for f in found] == [
        ("vxlan-group", "vxlan222 group 239.0.0.223, the design says 239.0.0.222", "jailhost-b/vxlan/vxlan222/vxlan222")
    ]
    # The VM's port missing on the host: drift of the deployed version, whose VM the design no longer has.
    described = "description: vmnet/guest-b/0/switch222"
    assert described in LIVE["interfaces"]
    live = {**LIVE, "interfaces": LIVE["interfaces"].replace(described, "description: vmnet/other/0/switch222")}
    _, found = findings(design, live)
    vm_findings = [f for f in found if f[2].startswith("jailhost-b/vms/guest-b")]
    assert vm_findings, found
    host = design_snapshot(design=design).host("jailhost-b")
    assert host is not None and not any(v.name == "guest-b" for v in host.vms)  # no diagram object to badge
    assert not VirtualMachine.objects.filter(pk=vm_id).exists()


def test_each_host_is_compared_with_its_own_last_successful_deployment(design, make_user):
    user = make_user("deployer")
    first = deploy(design, user, hosts=("jailhost-a", "jailhost-b"))
    VxlanSegment.objects.filter(design=design, vni=222).update(multicast_group="239.0.0.99")
    partly = deploy(design, user, hosts=("jailhost-a",), whole=False)
    later = Deployment.objects.create(change_request=partly, design_id=design.pk, design_name=design.name,
                                      target=DeploymentTarget.INVENTORY, state=DeploymentState.FAILED)  # fmt: skip
    DeploymentHost.objects.create(deployment=later, host_name="jailhost-b", outcome=HostOutcome.FAILED)
    baselines = host_baselines(design, design_snapshot(design=design), Target.FREEBSD)
    assert baselines["jailhost-a"].label == f"change request #{partly.pk} (partly deployed)"
    assert baselines["jailhost-b"].label == "revision 1"  # its later deployment failed: nothing of it is there
    assert baselines["jailhost-b"].change_request == first.pk
    assert findings(design) == ("revision 1", [])


def test_a_host_never_deployed_is_compared_with_the_current_design_and_says_so(design):
    assert findings(design) == ("the current design (never deployed by the app)", [])


def test_a_lab_built_from_an_earlier_version_is_refused_not_reported_as_drift(design, client_for):
    snapshot = design_snapshot(design=design)
    Lab.objects.create(design=design, lab_id="jnd", state=LabState.UP, content_hash=content_hash(snapshot))
    assert host_baselines(design, snapshot, Target.LAB)["jailhost-b"].kind == "lab"
    VxlanSegment.objects.filter(design=design, vni=222).update(multicast_group="239.0.0.99")
    with pytest.raises(LabStaleForDrift, match="built from an earlier version of the design"):
        host_baselines(design, design_snapshot(design=design), Target.LAB)
    response = client_for("viewer").post("/api/diagnostic-runs/drift/", {"design": design.pk}, format="json")
    assert response.status_code == 409
    assert "bring it up again" in response.json()["detail"]
