"""The catalogue as a whole: codes, report, determinism, identity subset, and the generated docs."""

from __future__ import annotations

import json
import re
from pathlib import Path

from topology.validation import IDENTITY_RULES, RULES, identity_findings, render_rules_markdown, validate

from .factories import change, services_design, vxlan_design, with_host, with_jail, with_nic

ROOT = Path(__file__).resolve().parents[3]
TESTS = Path(__file__).resolve().parent


def test_rules_are_ordered_by_unique_stable_codes():
    codes = [r.code for r in RULES]
    assert codes == sorted(codes)
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"JN[1-7]\d\d", code) for code in codes)
    assert all(r.severity in ("error", "warning", "info") and r.title and r.description for r in RULES)


def test_every_rule_is_triggered_by_a_test():
    """Each rule code appears in an assertion of a test module, so no rule goes untested."""
    asserted: set[str] = set()
    for path in TESTS.glob("test_*.py"):
        asserted |= set(re.findall(r'"(JN\d{3})"', path.read_text()))
    missing = sorted({r.code for r in RULES} - asserted)
    assert missing == []


def test_article_designs_are_valid_without_findings():
    for design in (vxlan_design(), services_design()):
        report = validate(design)
        assert report.is_valid
        # the only finding: the re-run hint for pots (JN511), which every design with a pot gets
        assert [f.code for f in report.findings if f.code != "JN511"] == []


def test_report_sorts_errors_first_then_by_code_and_path():
    design = with_nic(
        vxlan_design(), "jailhost-a", "vnetjail-a", mtu=None, address="10.0.111.13/24"
    )  # JN206, JN213, JN403
    design = with_nic(design, "jailhost-b", "vnetjail-b", mtu=None)  # JN403
    design = with_jail(design, "jailhost-b", "plainjail-b", addresses=())  # JN505 info
    design = with_host(design, "gateway", name="gate_way")  # JN116 warning, JN711 error (members on "gateway")
    report = validate(design)
    keys = [(f.severity, f.code, f.objects[0].path) for f in report.findings]
    assert keys == [
        ("error", "JN117", "design.hosts[gate_way].name"),  # refused by the host name's allow-list too
        ("error", "JN206", "jailhost-a/jails/vnetjail-a/nics/vnet0"),
        ("error", "JN213", "jailhost-a/jails/vnetjail-a"),
        ("error", "JN403", "jailhost-a/jails/vnetjail-a/nics/vnet0"),
        ("error", "JN403", "jailhost-b/jails/vnetjail-b/nics/vnet0"),
        ("error", "JN711", "vxlan_segments/vxlan111/members/gateway/vxlan111"),
        ("error", "JN711", "vxlan_segments/vxlan222/members/gateway/vxlan222"),
        ("warning", "JN116", "gate_way"),
        ("info", "JN505", "jailhost-b/jails/plainjail-b"),
    ]
    assert not report.is_valid
    assert len(report.errors) == 7 and len(report.warnings) == 1 and len(report.infos) == 1
    assert validate(design) == report  # deterministic


def test_report_as_dict_is_json_ready():
    design = with_nic(vxlan_design(), "jailhost-a", "vnetjail-a", mtu=None)
    data = validate(design).as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["valid"] is False
    assert data["counts"] == {"error": 1, "warning": 0, "info": 0}
    (finding,) = data["findings"]
    assert finding["code"] == "JN403" and finding["severity"] == "error"
    ref = {"kind": "jail-nic", "path": "jailhost-a/jails/vnetjail-a/nics/vnet0", "id": None}
    assert finding["objects"] == [ref]
    assert finding["object"] == ref


def test_object_ids_from_the_database_are_carried_into_findings():
    design = vxlan_design()
    jail = design.hosts[1].jails[0]
    with_ids = with_jail(design, "jailhost-a", "vnetjail-a", nics=(change(jail.nics[0], id=42, mtu=1500),))
    (finding,) = validate(with_ids).findings
    assert finding.objects[0].id == 42


def test_identity_findings_only_report_identity_rules():
    design = vxlan_design()
    jails = design.hosts[1].jails
    broken = with_host(design, "jailhost-a", jails=(*jails, *jails))
    broken = with_nic(broken, "jailhost-b", "vnetjail-b", mtu=None)  # JN403 is not an identity rule
    assert [f.code for f in identity_findings(broken)] == ["JN104"]
    assert {r.code for r in IDENTITY_RULES} == {f"JN1{n:02d}" for n in range(1, 11)}


def test_validation_rules_doc_matches_the_catalogue():
    doc = ROOT / "docs" / "validation-rules.md"
    regenerate = "python -c \"from topology.validation import render_rules_markdown as r; print(r(), end='')\""
    assert doc.read_text() == render_rules_markdown(), f"regenerate the doc: {regenerate} > docs/validation-rules.md"


def test_rules_markdown_lists_every_rule():
    text = render_rules_markdown()
    for r in RULES:
        assert f"## {r.code}" in text
        assert r.title in text
