"""Design documents: parsing, errors with locations, and the YAML round trip."""

from __future__ import annotations

import pytest

from topology import snapshot as s
from topology.design_io import (
    DocumentError,
    document_from_snapshot,
    dump_document,
    load_document,
    snapshot_from_document,
)

MINIMAL = """\
format: jailnet-design/1
name: minimal
hosts:
  - name: jailhost
    tools: [iocage]
    interfaces:
      - name: em0
        address: 192.168.0.2/24
    jails:
      - name: simplecage
        inherit: true
"""


def test_document_maps_onto_snapshot_dataclasses():
    snap = snapshot_from_document(load_document(MINIMAL))
    assert snap.name == "minimal"
    host = snap.host("jailhost")
    assert host is not None
    assert host.tools == ("iocage",)
    assert host.interfaces == (s.Interface(name="em0", address="192.168.0.2/24"),)
    assert host.jails[0].inherit is True
    assert host.jails[0].type == "plain"


def test_export_leaves_out_defaults_and_round_trips_byte_identically():
    snap = snapshot_from_document(load_document(MINIMAL))
    text = dump_document(document_from_snapshot(snap))
    assert "role: jailhost" not in text  # the default role is not written
    assert text.startswith("format: jailnet-design/1\nname: minimal\n")
    again = dump_document(document_from_snapshot(snapshot_from_document(load_document(text))))
    assert again == text


def test_mac_addresses_stay_text_even_when_yaml_1_1_would_read_a_number():
    doc = load_document("mac: 11:22:33:44:55:66\nother: 12:30\n")
    assert doc == {"mac": "11:22:33:44:55:66", "other": "12:30"}


def test_every_problem_is_reported_with_its_location():
    bad = MINIMAL.replace("inherit: true", "inherit: maybe\n        colour: red").replace(
        "tools: [iocage]", "tools: [ezjail]"
    )
    with pytest.raises(DocumentError) as info:
        snapshot_from_document(load_document(bad))
    errors = info.value.errors
    assert "design.hosts[0].jails[0].inherit: expected true or false, got 'maybe'" in errors
    assert any(e.startswith("design.hosts[0].jails[0]: unknown key 'colour'") for e in errors)
    assert any("unknown tool 'ezjail'" in e for e in errors)


def test_unknown_choice_values_are_refused():
    with pytest.raises(DocumentError) as info:
        snapshot_from_document(load_document(MINIMAL.replace("inherit: true", "type: vnett")))
    assert info.value.errors == ["design.hosts[jailhost].jails[simplecage].type: 'vnett' is not one of plain, vnet"]


def test_wrong_format_marker_and_non_mapping_documents_are_refused():
    with pytest.raises(DocumentError, match="format: expected 'jailnet-design/1'"):
        snapshot_from_document(load_document(MINIMAL.replace("jailnet-design/1", "other/2")))
    with pytest.raises(DocumentError, match="mapping"):
        load_document("- just\n- a list\n")
    with pytest.raises(DocumentError, match="not valid YAML"):
        load_document("name: [unclosed\n")


def test_hosts_inherit_the_design_release_and_jails_their_hosts_unless_they_name_one():
    from topology.design_io import document_from_snapshot, snapshot_from_document

    doc = {
        "format": "jailnet-design/1",
        "name": "releases",
        "default_release": "14.3-RELEASE",
        "hosts": [
            {"name": "a", "jails": [{"name": "same"}, {"name": "older", "release": "13.5-RELEASE"}]},
            {"name": "b", "release": "15.1-RELEASE", "jails": [{"name": "onb"}]},
        ],
    }
    snap = snapshot_from_document(doc)
    releases = {(h.name, j.name): j.release for h in snap.hosts for j in h.jails}
    assert [h.release for h in snap.hosts] == ["14.3-RELEASE", "15.1-RELEASE"]
    assert releases == {("a", "same"): "14.3-RELEASE", ("a", "older"): "13.5-RELEASE", ("b", "onb"): "15.1-RELEASE"}
    # Export writes only the releases that differ from the inherited one.
    assert document_from_snapshot(snap) == doc


def test_a_document_without_releases_gets_the_current_freebsd_release():
    from topology.design_io import snapshot_from_document
    from topology.snapshot import CURRENT_RELEASE

    snap = snapshot_from_document({"format": "jailnet-design/1", "name": "new", "hosts": [{"name": "a"}]})
    assert snap.default_release == CURRENT_RELEASE == "15.1-RELEASE"
    assert snap.hosts[0].release == CURRENT_RELEASE
