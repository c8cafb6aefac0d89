"""``manage.py design render``: refuses a design with validation errors unless forced, and a forced render
says so at the top of every file it writes."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from topology.services.designs import design_import_document

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "s10-vxlan-multicast.yaml"
BANNER = "# FORCED RENDER: this design has 1 validation error(s); this output is not fit to deploy."


def _broken_design() -> None:
    """s10 with the MTU of one VXLAN jail NIC removed (JN403: the NIC would be 1500 on a 1450 segment)."""
    text = EXAMPLE.read_text().replace("      mtu: 1450\n", "", 1)
    design_import_document(document_text=text)


@pytest.mark.django_db
def test_render_refuses_a_design_with_errors_and_prints_the_findings(tmp_path):
    _broken_design()
    err = StringIO()
    with pytest.raises(CommandError, match=r"1 validation error.*nothing rendered"):
        call_command("design", "render", "s10-vxlan-multicast", "--out", str(tmp_path), stderr=err)
    assert "JN403" in err.getvalue()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db
def test_forced_render_says_so_at_the_top_of_every_file(tmp_path):
    _broken_design()
    err = StringIO()
    call_command(
        "design", "render", "s10-vxlan-multicast", "--out", str(tmp_path), "--force", stderr=err, stdout=StringIO()
    )
    assert "--force" in err.getvalue()
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) >= 10
    for path in written:
        lines = path.read_text().splitlines()
        head = lines[1:3] if lines[0].startswith("#!") else lines[:2]
        assert head[0] == BANNER, path
        assert head[1].startswith("#   JN403 "), path


@pytest.mark.django_db
def test_render_of_a_valid_design_has_no_banner(tmp_path):
    design_import_document(document_text=EXAMPLE.read_text())
    call_command("design", "render", "s10-vxlan-multicast", "--out", str(tmp_path), stdout=StringIO())
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert "FORCED RENDER" not in path.read_text()
