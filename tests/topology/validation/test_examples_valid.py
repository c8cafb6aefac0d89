"""Every example design under examples/ validates without errors, and only with justified warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

from topology.design_io import load_document, snapshot_from_document
from topology.validation import identity_findings, validate

EXAMPLES = sorted((Path(__file__).resolve().parents[3] / "examples").glob("*.yaml"))

# Warnings an example may show, with the reason it is right to show them there.
ALLOWED_WARNINGS: dict[str, dict[str, str]] = {}


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_validates_without_errors(path: Path):
    snapshot = snapshot_from_document(load_document(path.read_text()))
    assert identity_findings(snapshot) == []
    report = validate(snapshot)
    assert [f"{f.code} {f.message}" for f in report.errors] == []
    allowed = ALLOWED_WARNINGS.get(path.stem, {})
    assert [f"{f.code} {f.message}" for f in report.warnings if f.code not in allowed] == []
