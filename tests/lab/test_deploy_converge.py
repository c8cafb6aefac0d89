"""Convergence both ways and the live plan, on real lab hosts (sshd in namespaces).

S10 is deployed; then a design without jailhost-b's VNET jail and plain jail is deployed: the jail's
namespace, its veth and the plain jail's address are gone and nothing else changed; a third deploy changes
nothing. The plan of a deploy says what it would do and changes nothing on the host.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
import time
from pathlib import Path

import pytest

from executors.deploy.pipeline import HostDeploy, Outcome, deploy_hosts
from executors.deploy.plan import LivePlan, plan_deploy, plan_hosts
from executors.lab import netns
from executors.lab.hosts import Lab
from executors.lab.lifecycle import run_coroutine
from topology.render.bundle import Bundle, BundleFile
from topology.render.lab import render_lab
from topology.render.lab.bundle import lab_bundle

from .documents import S10
from .support import needs_lab, snapshot_of

pytestmark = needs_lab

DOC = S10.replace("name: lab-s10-vxlan", "name: lab-converge")
HOST = "jailhost-b"


@pytest.fixture(scope="module")
def lab(bring_up) -> Lab:  # type: ignore[no-untyped-def]
    snapshot, state_dir = bring_up(snapshot_of(DOC))
    return Lab(snapshot, state_dir)


def _bundle(lab: Lab, snapshot=None) -> Bundle:  # type: ignore[no-untyped-def]
    """jailhost-b's lab bundle for ``snapshot`` (the lab's own design by default), rendered like the lab."""
    if snapshot is None:
        plan = lab.plan
    else:
        plan = render_lab(snapshot, state_dir=str(lab.state_dir), loopback_kind="dummy", vlan_kind="vlan")
    return lab_bundle(next(h for h in plan.hosts if h.name == HOST))


def _deploy(lab: Lab, bundle: Bundle) -> HostDeploy:
    return HostDeploy(
        bundle=bundle, target=lab.target(HOST), root=f"{lab.state_dir}/hosts/{HOST}/jailnet",
        deploy_id=f"c{time.time_ns()}", confirm_seconds=30,
    )  # fmt: skip


class _Lines:
    """Keeps the host's output, to show when a deploy did not do what the test expected."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def step(self, host: str, step: str, detail: str = "") -> None:
        self.lines.append(f"@@step {step} {detail}")

    def output(self, host: str, stream: str, line: str) -> None:
        self.lines.append(f"{stream}: {line}")


def _run(lab: Lab, bundle: Bundle):  # type: ignore[no-untyped-def]
    lines = _Lines()
    result = run_coroutine(
        lambda: deploy_hosts([_deploy(lab, bundle)], transport_for=lambda _d: lab.transport, reporter=lines)
    )[0]
    if result.outcome not in (Outcome.DEPLOYED, Outcome.UNCHANGED):
        result.reason += "\n" + "\n".join(lines.lines[-40:])
    return result


def _without_jails(lab: Lab):  # type: ignore[no-untyped-def]
    hosts = tuple(
        dataclasses.replace(h, jails=tuple(j for j in h.jails if j.name not in ("vnetjail-b", "plainjail-b")))
        if h.name == HOST
        else h
        for h in lab.snapshot.hosts
    )
    return dataclasses.replace(lab.snapshot, hosts=hosts)


def _live(lab: Lab) -> set[str]:
    """Every link (name, master, mtu, up), IPv4 and global address and route of every namespace of the lab."""
    facts: set[str] = set()
    present = set(netns.run(["ip", "netns", "list"]).stdout.split())
    for ns in lab.network.all_netns():
        if ns not in present:
            continue
        for link in json.loads(netns.run(["ip", "-n", ns, "-j", "link", "show"]).stdout):
            # carrier flags settle by themselves after the lab starts: not something a deploy does
            flags = ",".join(sorted(set(link.get("flags", [])) - {"LOWER_UP", "NO-CARRIER"}))
            facts.add(f"{ns} link {link['ifname']} master={link.get('master')} mtu={link.get('mtu')} flags={flags}")
        for a in json.loads(netns.run(["ip", "-n", ns, "-j", "addr", "show"]).stdout):
            for info in a.get("addr_info", []):
                if info.get("scope") == "link":  # IPv6 link-local: the kernel adds these as links come up
                    continue
                facts.add(f"{ns} addr {info['local']}/{info['prefixlen']} dev {a['ifname']}")
        for r in netns.run(["ip", "-n", ns, "route", "show"]).stdout.splitlines():
            facts.add(f"{ns} route {r.strip()}")
    return facts


def _files(bundle: Bundle) -> dict[str, str]:
    return {
        f.path: hashlib.sha256(Path(f.path).read_bytes()).hexdigest() if Path(f.path).exists() else "absent"
        for f in bundle.files
    }


def _plan(lab: Lab, bundle: Bundle) -> LivePlan:
    deploy = plan_deploy(bundle, lab.target(HOST), f"{lab.state_dir}/hosts/{HOST}/jailnet")
    address = str(lab.network.mgmt_address[HOST].ip)
    return run_coroutine(lambda: plan_hosts([(deploy, address)], transport_for=lambda _d: lab.transport))[0]


def test_a_dropped_jail_its_interface_and_an_address_are_removed_and_nothing_else_changes(lab: Lab):
    full = _bundle(lab)
    first = _run(lab, full)
    assert first.outcome in (Outcome.DEPLOYED, Outcome.UNCHANGED), first.reason
    guest_ns = next(g.netns for g in lab.network.guests[HOST] if g.name == "vnetjail-b")
    veth = next(g.nics[0].host_side for g in lab.network.guests[HOST] if g.name == "vnetjail-b")
    before = _live(lab)
    assert any(f.startswith(f"{guest_ns} ") for f in before)
    assert any("10.0.111.21/32" in f for f in before)

    smaller = _bundle(lab, _without_jails(lab))
    plan = _plan(lab, smaller)  # the plan says it, and changes nothing
    assert not plan.error, plan.error
    assert _live(lab) == before
    assert f"namespace {guest_ns} removed" in plan.actions["interfaces_destroyed"]
    assert f"link {veth} removed" in plan.actions["interfaces_destroyed"]
    assert any(a.startswith("address 10.0.111.21/32 removed from ") for a in plan.actions["addresses_removed"])

    second = _run(lab, smaller)
    assert second.outcome == Outcome.DEPLOYED, second
    after = _live(lab)
    assert after <= before  # nothing new
    removed = before - after
    assert all(
        f.startswith(f"{guest_ns} ") or f" {veth} " in f or "10.0.111.21/32" in f or f"dev {veth}" in f for f in removed
    ), sorted(removed)
    assert any(f.startswith(f"{guest_ns} ") for f in removed) and any("10.0.111.21/32" in f for f in removed)
    assert guest_ns not in netns.run(["ip", "netns", "list"]).stdout
    assert sorted(second.changes) == sorted(a for actions in plan.actions.values() for a in actions)

    third = _run(lab, smaller)
    assert (third.outcome, third.changes) == (Outcome.UNCHANGED, [])
    assert _live(lab) == after
    assert _plan(lab, smaller).unchanged


def test_a_file_the_new_bundle_drops_goes_back_to_what_was_there_before(lab: Lab):
    root = Path(lab.state_dir, "hosts", HOST)
    kept, created = root / "kept.conf", root / "created.conf"
    kept.write_text("the host's own\n")
    created.unlink(missing_ok=True)
    base = _bundle(lab, _without_jails(lab))
    extra = dataclasses.replace(base, files=(*base.files, BundleFile(str(kept), "0644", "root:root", "ours\n"),
                                             BundleFile(str(created), "0644", "root:root", "ours\n")))  # fmt: skip
    assert _run(lab, extra).outcome == Outcome.DEPLOYED
    assert kept.read_text() == "ours\n" and created.read_text() == "ours\n"
    plan = _plan(lab, base)
    assert kept.read_text() == "ours\n" and created.exists()  # a plan changes nothing
    assert sorted(plan.actions["files"]) == [
        f"file {created} removed",
        f"file {kept} restored as it was before jailnet",
    ]
    result = _run(lab, base)
    assert result.outcome == Outcome.DEPLOYED
    assert kept.read_text() == "the host's own\n" and not created.exists()
    assert _run(lab, base).outcome == Outcome.UNCHANGED


def test_the_plan_changes_nothing_and_warns_about_the_management_path(lab: Lab):
    base = _bundle(lab, _without_jails(lab))
    _run(lab, base)
    ns = lab.network.host_netns[HOST]
    netns.run(["ip", "-n", ns, "addr", "del", "10.0.111.22/32", "dev", "switch111"])  # drift the plan must see
    rules = Path(lab.state_dir, "hosts", HOST, "extra.nft")  # rules the new bundle would install
    content = "table ip extra {\n  chain input {\n    type filter hook input priority 0;\n"
    content += "    tcp dport 22 drop\n  }\n}\n"
    blocking = dataclasses.replace(base, files=(*base.files, BundleFile(str(rules), "0644", "root:root", content)))
    before, files_before = _live(lab), _files(base)
    plan = _plan(lab, blocking)
    assert _live(lab) == before and _files(base) == files_before
    assert "address 10.0.111.22/32 on switch111" in plan.actions["addresses_added"]
    assert plan.management_interface == "mgmt0"
    assert f"file {rules}" in plan.actions["files"] and not rules.exists()
    assert any("could match SSH" in w and "dport 22 drop" in w for w in plan.warnings), plan.warnings
    left = subprocess.run(["ls", f"{lab.state_dir}/hosts/{HOST}/jailnet/deploys"], capture_output=True, text=True)
    assert not any(name.startswith("plan-") for name in left.stdout.split())  # the staged plan is cleaned up
    assert _run(lab, base).changes == ["address 10.0.111.22/32 on switch111"]
