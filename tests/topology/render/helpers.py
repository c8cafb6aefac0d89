"""Loading the example designs and looking for exact lines in rendered output."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from topology.design_io import load_document, snapshot_from_document
from topology.render.freebsd import render_design
from topology.render.types import HostConfig, ManagedFile
from topology.snapshot import DesignSnapshot

EXAMPLES_DIR = Path(__file__).resolve().parents[3] / "examples"


@cache
def example(stem: str) -> DesignSnapshot:
    """The snapshot of ``examples/<stem>.yaml``."""
    return snapshot_from_document(load_document((EXAMPLES_DIR / f"{stem}.yaml").read_text()))


def rendered(stem: str) -> dict[str, HostConfig]:
    """Every host of an example, rendered."""
    return render_design(example(stem))


def assert_lines(text: str, *expected: str) -> None:
    """Each expected line appears as a whole line of ``text`` (indentation aside)."""
    lines = {line.strip() for line in text.splitlines()}
    missing = [line for line in expected if line.strip() not in lines]
    assert not missing, f"missing lines: {missing}\n--- in ---\n{text}"


def assert_no_line(text: str, *unexpected: str) -> None:
    """No line of ``text`` contains any of ``unexpected``."""
    found = [line for line in text.splitlines() if any(u in line for u in unexpected)]
    assert not found, f"unexpected lines: {found}"


def assert_in_order(text: str, *expected: str) -> None:
    """The expected lines appear as whole lines (indentation aside), in this order."""
    lines = [line.strip() for line in text.splitlines()]
    positions = []
    for line in expected:
        assert line.strip() in lines, f"missing line: {line!r}\n--- in ---\n{text}"
        positions.append(lines.index(line.strip()))
    assert positions == sorted(positions), f"out of order: {expected}"


def managed_file(config: HostConfig, path: str) -> ManagedFile:
    """A managed file of the host (fails when the file is missing)."""
    managed = config.file(path)
    assert managed is not None, f"{path} not among {[f.path for f in config.files]}"
    return managed


def file_content(config: HostConfig, path: str) -> str:
    """The content of a managed file (fails when the file is missing)."""
    return managed_file(config, path).content
