"""Fixtures of the diagnostics tests: sample outputs and the article's VXLAN design (S10)."""

from __future__ import annotations

import dataclasses
from functools import cache
from pathlib import Path

from topology import snapshot as s
from topology.design_io import load_document, snapshot_from_document

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parents[3]
# The lab output under fixtures/linux/s10 was collected from a lab of S10 brought up under this name
# (its namespaces are named after it).
COLLECTED_AS = "diag-collect"


def freebsd(name: str) -> str:
    """A FreeBSD output sample."""
    return (FIXTURES / "freebsd" / name).read_text()


def lab_output(host: str, name: str) -> str:
    """Real output of an S10 lab host (collected with the lab's own commands, see fixtures/README)."""
    return (FIXTURES / "linux" / "s10" / host / name).read_text()


@cache
def s10() -> s.DesignSnapshot:
    """The article's VXLAN multicast example, named as when its lab output was collected."""
    snapshot = snapshot_from_document(load_document((ROOT / "examples" / "s10-vxlan-multicast.yaml").read_text()))
    return dataclasses.replace(snapshot, name=COLLECTED_AS)
