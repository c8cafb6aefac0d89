"""Deployable bundles: the FreeBSD bundle's converging steps (golden, S10 and S11), every example's apply
program checked by shellcheck and dash, and every lab plan translatable into converging steps."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.lab.documents import SCENARIOS
from topology.design_io import load_document, snapshot_from_document
from topology.render.bundle import Bundle, BundleError, BundleFile
from topology.render.freebsd.bundle import freebsd_bundle
from topology.render.lab import render_lab
from topology.render.lab.bundle import converge_steps, lab_bundle
from topology.render.lab.plan import HostPlan, LabCommand

EXAMPLES = sorted(Path(__file__).resolve().parents[3].joinpath("examples").glob("s*.yaml"))


def _snapshot(path: Path):  # type: ignore[no-untyped-def]
    return snapshot_from_document(load_document(path.read_text()))


def _steps(bundle: Bundle) -> str:
    return bundle.apply.split("set -e\n", 1)[1]


def test_s10_jailhost_bundle_converges_interfaces_members_routes_guests_and_jails():
    bundle = freebsd_bundle(_snapshot(EXAMPLES[9]), "jailhost-a")
    assert _steps(bundle) == (
        "clone_ensure vxlan111 vxlan111 vxlanid 111 vxlanlocal 192.168.0.10 vxlandev igb0 vxlangroup 239.0.0.111\n"
        "clone_ensure vxlan222 vxlan222 vxlanid 222 vxlanlocal 192.168.0.10 vxlandev igb0 vxlangroup 239.0.0.222\n"
        "clone_ensure bridge0 switch111\n"
        "clone_ensure bridge1 switch222\n"
        "addr_ensure igb0 192.168.0.10 24\n"
        "up_ensure igb0\n"
        "addr_ensure vxlan111 10.0.111.10 24\n"
        "mtu_ensure vxlan111 1450\n"
        "up_ensure vxlan111\n"
        "addr_ensure vxlan222 10.0.222.10 24\n"
        "mtu_ensure vxlan222 1450\n"
        "up_ensure vxlan222\n"
        "addr_ensure switch111 10.0.111.12 32\n"
        "member_ensure switch111 vxlan111\n"
        "up_ensure switch111\n"
        "addr_ensure switch222 10.0.222.12 32\n"
        "member_ensure switch222 vxlan222\n"
        "up_ensure switch222\n"
        "default_route_ensure 192.168.0.1\n"
        "static_route_ensure 239.0.0.111/32 -interface igb0\n"
        "static_route_ensure 239.0.0.222/32 -interface igb0\n"
        "vm_ensure guest-a yes\n"
        "jail_ensure iocage vnetjail-a yes\n"
        "reconcile\n"
    )
    assert {f.path for f in bundle.files} == {
        "/etc/rc.conf.local",
        "/zroot/vms/.config/system.conf",
        "/zroot/vms/.templates/guest-a.conf",
    }
    assert all(f.owner == "root:wheel" for f in bundle.files)
    assert [c.argv for c in bundle.checks] == [("sh", "-n", "{apply}"), ("sh", "-n", "{file:/etc/rc.conf.local}")]
    assert bundle.restarts == ("VM guest-a", "jail vnetjail-a")


def test_s11_gateway_renames_kernel_picked_clones_and_adds_members_only_when_missing():
    steps = _steps(freebsd_bundle(_snapshot(EXAMPLES[10]), "gateway")).splitlines()
    assert steps[0] == "sysctl_ensure net.inet.ip.forwarding 1"
    assert "clone_ensure vxlan0 vx111a vxlanid 111 vxlanlocal 192.168.255.10 vxlanremote 192.168.0.10" in steps
    assert [s for s in steps if s.startswith("member_ensure switch111")] == [
        "member_ensure switch111 vx111a",
        "member_ensure switch111 vx111b",
    ]
    assert steps[-3:] == [
        "service_ensure ipfw /etc/rc.conf.local",
        "service_ensure natd /etc/rc.conf.local",
        "reconcile",
    ]


def test_a_pf_host_reloads_pf_from_its_checked_pf_conf():
    bundle = freebsd_bundle(_snapshot(EXAMPLES[6]), "jailhost")  # S7: pf, dnsmasq, a VM
    steps = _steps(bundle).splitlines()
    assert "pf_ensure /etc/pf.conf" in steps and "service_ensure dnsmasq /usr/local/etc/dnsmasq.conf" in steps
    checks = {c.title: c.argv for c in bundle.checks}
    assert checks["pfctl -nf accepts /etc/pf.conf"] == ("pfctl", "-nf", "{file:/etc/pf.conf}")
    assert checks["dnsmasq accepts /usr/local/etc/dnsmasq.conf"][:2] == ("dnsmasq", "--test")


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_freebsd_apply_program_passes_shellcheck_and_dash(example: Path, tmp_path: Path):
    snapshot = _snapshot(example)
    for host in snapshot.hosts:
        bundle = freebsd_bundle(snapshot, host.name)
        script = tmp_path / f"{host.name}.sh"
        script.write_text(bundle.apply)
        subprocess.run(["shellcheck", "-s", "sh", str(script)], check=True)
        subprocess.run(["dash", "-n", str(script)], check=True)
        assert Bundle.from_dict(bundle.as_dict()) == bundle and len(bundle.digest) == 64


@pytest.mark.parametrize("document", [*(p.read_text() for p in EXAMPLES), *SCENARIOS.values()])
def test_every_lab_plan_becomes_converging_steps_that_pass_shellcheck(document: str, tmp_path: Path):
    snapshot = snapshot_from_document(load_document(document))
    for kinds in (("dummy", "vlan"), ("ifb", "veth")):
        plan = render_lab(snapshot, state_dir="/srv/lab", loopback_kind=kinds[0], vlan_kind=kinds[1])
        for host in plan.hosts:
            bundle = lab_bundle(host)
            assert len(converge_steps(host)) == len(host.commands) + sum(
                len(c.argv) - 5 for c in host.commands if c.argv[0] == "sysctl"
            )
    script = tmp_path / "apply.sh"
    script.write_text(bundle.apply)
    subprocess.run(["shellcheck", "-s", "sh", str(script)], check=True)
    subprocess.run(["dash", "-n", str(script)], check=True)


def test_a_lab_command_without_a_converging_step_is_refused():
    plan = HostPlan("h", "ns", "198.18.0.2", (), (LabCommand(("ip", "link", "del", "x")),), (), ())
    with pytest.raises(BundleError, match="no converging step"):
        lab_bundle(plan)


@pytest.mark.parametrize(
    "path,mode,owner",
    [("etc/x", "0644", "root:wheel"), ("/etc/a b", "0644", "root:wheel"), ("/etc/../x", "0644", "root:wheel"),
     ("/etc/x", "0999", "root:wheel"), ("/etc/x", "0644", "root; rm")],
)  # fmt: skip
def test_bundle_files_refuse_paths_modes_and_owners_that_cannot_be_written_safely(path, mode, owner):
    with pytest.raises(BundleError):
        BundleFile(path, mode, owner, "")
