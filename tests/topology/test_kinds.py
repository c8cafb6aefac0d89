"""The kind declarations (``topology.kinds``) cover every field, so a new field cannot be forgotten.

Adding a plain field to a kind touches its model field (and migration), the snapshot dataclass field of the
same name and the renderer that uses it: the snapshot reading, the import and the frontend's field list
follow from the declaration. These tests fail when a model field is neither mapped nor excluded with a
reason, when a mapping names a field that does not exist, or when a default differs between the model
and the snapshot.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import NOT_PROVIDED
from django.test.utils import CaptureQueriesContext

from core.models import AuditEntry
from topology import models as m
from topology.kinds import BOOKKEEPING, DECLARATIONS, KINDS, Column, Derived, reading_order
from topology.selectors import design_snapshot
from topology.services.designs import design_import_document

ROOT = Path(__file__).resolve().parents[2]

# Models of the topology app that are not design content (history, reviews, the stored live events).
NOT_DESIGN_OBJECTS = {
    AuditEntry,
    m.ChangeRequest,
    m.ChangeRequestComment,
    m.ChangeRequestHost,
    m.ChangeRequestTransition,
    m.Approval,
    m.Revision,
    m.RevisionHost,
    m.LiveEvent,
}


def model_fields(kind):
    """Concrete fields of the kind's model, foreign keys by name (``switch``, not ``switch_id``)."""
    return {f.name for f in kind.model._meta.concrete_fields}


def test_every_design_object_model_is_declared_as_a_kind() -> None:
    declared = {kind.model for kind in DECLARATIONS}
    topology_models = {model for model in apps.get_app_config("topology").get_models()}
    assert topology_models - NOT_DESIGN_OBJECTS - declared == set()


@pytest.mark.parametrize("kind", DECLARATIONS, ids=lambda k: k.name)
def test_every_model_field_is_in_the_declaration_or_excluded_with_a_reason(kind) -> None:
    unmapped = model_fields(kind) - BOOKKEEPING - kind.mapped_model_fields() - set(kind.not_in_snapshot)
    assert unmapped == set(), f"{kind.name}: map these fields in topology/kinds.py or exclude them with a reason"
    assert set(kind.not_in_snapshot) <= model_fields(kind), "exclusions name fields that exist"
    assert all(reason for reason in kind.not_in_snapshot.values())


@pytest.mark.parametrize("kind", DECLARATIONS, ids=lambda k: k.name)
def test_every_mapping_names_an_existing_model_field(kind) -> None:
    assert kind.mapped_model_fields() <= model_fields(kind)
    for attr, ref in kind.refs:
        assert kind.ref_field(attr) in model_fields(kind)
        assert ref.target in KINDS
        related = kind.model._meta.get_field(kind.ref_field(attr)).related_model
        assert related is KINDS[ref.target].model, f"{kind.name}.{attr} points at {ref.target}"
    for _, child in kind.children:
        child_kind = KINDS[child.kind]
        via = child.via or child_kind.parents[0]
        assert child_kind.model._meta.get_field(via).related_model is kind.model


@pytest.mark.parametrize("kind", DECLARATIONS, ids=lambda k: k.name)
def test_snapshot_defaults_equal_model_defaults(kind) -> None:
    for f in dataclasses.fields(kind.snapshot):
        mapping = kind.mapping(f.name)
        if f.name == "id" or not isinstance(mapping, Column) or f.default is dataclasses.MISSING:
            continue
        model_default = kind.model._meta.get_field(mapping.model_field).default
        if model_default is NOT_PROVIDED:
            model_default = None if f.name in kind.optional_text or f.default is None else ""
        if f.name in kind.optional_text and model_default == "":
            model_default = None
        assert model_default == f.default, f"{kind.name}.{f.name}: model {model_default!r}, snapshot {f.default!r}"


def test_derived_fields_write_back_what_they_read() -> None:
    for kind in DECLARATIONS:
        for attr in kind.snapshot_fields:
            mapping = kind.mapping(attr)
            if isinstance(mapping, Derived):
                columns = mapping.write(("pot", "dnsmasq"))
                assert set(columns) == set(mapping.columns)
                assert mapping.read(*(columns[c] for c in mapping.columns)) == ("pot", "dnsmasq")


def test_owned_objects_are_read_before_their_owners() -> None:
    order = [kind.name for kind in reading_order()]
    assert sorted(order) == sorted(k.name for k in DECLARATIONS if k.name != "design")
    for kind in DECLARATIONS:
        for _, child in kind.children:
            if kind.name != "design":
                assert order.index(child.kind) < order.index(kind.name)


@pytest.mark.django_db
def test_snapshot_reads_one_query_per_kind() -> None:
    design, _ = design_import_document(document_text=(ROOT / "examples" / "s10-vxlan-multicast.yaml").read_text())
    with CaptureQueriesContext(connection) as ctx:
        snap = design_snapshot(design=design)
    assert len(ctx.captured_queries) == len(DECLARATIONS) - 1  # the design itself is already loaded
    assert snap.hosts and snap.vxlan_segments


def test_checked_in_frontend_field_list_is_current() -> None:
    from topology.kinds_ts import OUTPUT, render_typescript

    assert OUTPUT.read_text() == render_typescript(), "run `python manage.py kinds_ts` and commit the file"


def test_frontend_field_list_carries_the_model_validators() -> None:
    from topology.kinds_ts import generated_kinds

    kinds = generated_kinds()
    nic = {f["name"]: f for f in kinds["jail-nic"]["fields"]}
    assert nic["name"]["patterns"] == [{"regex": "^(?:vnet[0-9]{1,4})$", "message": "vnet0, vnet1 ..."}]
    assert nic["switch"] == {**nic["switch"], "type": "ref", "refKind": "switch", "required": True}
    assert nic["mtu"]["min"] == 576 and nic["mtu"]["max"] == 65535
    assert nic["mac"]["formats"] == ["mac"]
    assert "jail" not in nic, "owners are set by where an object is drawn"
    assert kinds["jail-nic"]["ownerKinds"] == {"jail": "jail"}


@pytest.mark.parametrize("kind", DECLARATIONS, ids=lambda k: k.name)
def test_document_enumerations_are_the_model_choices(kind) -> None:
    from topology.design_io import _ENUMS

    for attr in kind.snapshot_fields:
        mapping = kind.mapping(attr)
        if not isinstance(mapping, Column) or attr == "id":
            continue
        choices = kind.model._meta.get_field(mapping.model_field).choices
        if choices:
            assert _ENUMS.get((kind.snapshot, attr)) == tuple(value for value, _ in choices), f"{kind.name}.{attr}"
