"""The article's scenarios brought up on network namespaces: measured reachability equals the design's promise."""

from __future__ import annotations

from pathlib import Path

import pytest

from executors.lab.lifecycle import lab_check

from .documents import SCENARIOS
from .support import needs_lab, snapshot_of
from .test_expectations import broken_s10

pytestmark = needs_lab


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def scenario(request, bring_up):  # type: ignore[no-untyped-def]
    snapshot, state_dir = bring_up(snapshot_of(SCENARIOS[request.param]))
    return request.param, snapshot, state_dir


def test_measured_matrix_matches_the_expected_one(scenario):  # type: ignore[no-untyped-def]
    name, snapshot, state_dir = scenario
    report = lab_check(snapshot, state_dir)
    assert report.total > 0
    assert not report.mismatched, report.table(only_mismatches=True)
    cells = {(m.cell.source, m.address, m.cell.protocol, m.cell.port): m for m in report.cells}
    if name == "s10":
        assert cells[("jailhost-a/vnetjail-a", "10.0.222.23", "icmp", None)].measured  # across VXLAN 222
        assert cells[("jailhost-b/plainjail-b", "10.0.111.1", "icmp", None)].measured
        assert cells[("jailhost-b/plainjail-b", "10.0.111.10", "icmp", None)].measured
        assert cells[("jailhost-a/vnetjail-a", "198.51.100.80", "tcp", 80)].measured  # NAT at the gateway
    if name == "s08":
        assert not cells[("jailhost/vnetcage", "10.1.1.11", "tcp", 22)].measured  # private members
        assert cells[("jailhost/vnetcage", "198.51.100.80", "tcp", 80)].measured
        assert cells[("jailhost/guest", "198.51.100.80", "tcp", 80)].measured  # the VM got its lease
    if name == "s06":
        assert cells[("internet", "192.168.0.2", "tcp", 80)].measured  # redirect to vnetpot1
    if name == "vlans":
        assert cells[("host-1/cage-1", "10.1.1.12", "tcp", 22)].measured  # same VLAN on another host
        assert not cells[("host-1", "10.1.1.3", "icmp", None)].measured  # same subnet, other VLAN
        assert cells[("host-1", "192.168.0.3", "icmp", None)].measured  # the untagged LAN joins all three


def test_a_wrong_vni_breaks_exactly_the_expected_cells(bring_up):  # type: ignore[no-untyped-def]
    snapshot, state_dir = bring_up(snapshot_of(broken_s10().replace("name: lab-s10-vxlan", "name: lab-s10-broken")))
    report = lab_check(snapshot, state_dir)
    assert not report.mismatched, report.table(only_mismatches=True)
    failing = {m.cell.key for m in report.cells if not m.measured}
    assert failing == {m.cell.key for m in report.cells if not m.cell.expected}
    assert any("guest-b" in key for key in failing)


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ARTICLE = ["s01", "s02", "s03", "s04", "s05", "s06", "s07", "s08", "s09", "s10", "s11"]
# One host with plain jails only: every endpoint lives in the host's namespace, so there is no path between
# two namespaces to measure; the lab still has to come up (S3's VLAN included) and check clean.
NOTHING_TO_MEASURE = {"s01", "s02", "s03"}


@pytest.mark.parametrize("prefix", ARTICLE)
def test_the_repository_example_comes_up_as_promised(prefix, bring_up):  # type: ignore[no-untyped-def]
    found = sorted(EXAMPLES.glob(f"{prefix}-*.yaml"))
    if not found:
        pytest.skip(f"no examples/{prefix}-*.yaml yet")
    snapshot, state_dir = bring_up(snapshot_of(found[0].read_text()))
    report = lab_check(snapshot, state_dir)
    assert not report.mismatched, report.table(only_mismatches=True)
    assert (report.total > 0) == (prefix not in NOTHING_TO_MEASURE)
