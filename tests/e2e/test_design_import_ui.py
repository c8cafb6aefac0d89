"""End-to-end: a YAML document imported through the UI — pasted, previewed object by object, applied — and
an exported design re-imported under another name drawn with the same node positions."""

from __future__ import annotations

import pytest

from topology.design_io import dump_document
from topology.layout import design_layout, document_with_layout
from topology.models import Design, Host, Interface, Jail, JailNic, Switch

from .conftest import in_thread, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def create_placed_design() -> str:
    design = Design.objects.create(name="placed")
    host = Host.objects.create(design=design, name="jailhost-a", has_iocage=True, position_x=120, position_y=40)
    Interface.objects.create(host=host, name="em0", address="192.168.0.2/24")
    services = Switch.objects.create(host=host, name="services", address="10.1.1.1/24", position_x=30, position_y=150)
    www = Jail.objects.create(host=host, name="www", type="vnet", position_x=200, position_y=260)
    JailNic.objects.create(jail=www, switch=services, name="vnet0", address="10.1.1.2/24")
    return dump_document(document_with_layout(design=design))


def node_transform(page, testid: str) -> str:
    node = page.locator(".react-flow__node", has=page.get_by_test_id(testid)).first
    node.wait_for()
    return node.evaluate("el => el.style.transform")


def test_yaml_import_through_the_ui_previews_then_applies_with_the_same_positions(
    new_page, make_browser_user, app_url, transactional_db
) -> None:
    exported = in_thread(create_placed_design)
    assert "layout:" in exported
    document = exported.replace("name: placed", "name: placed-copy", 1)
    make_browser_user("dana", "designer")
    page = new_page("dana")

    page.get_by_test_id("import-yaml").click()
    dialog = page.get_by_test_id("import-dialog")
    # A broken document: its problems, nothing else.
    page.get_by_test_id("import-text").fill("format: jailnet-design/1\nname: x\nhosts: [{name: a, role: router}]\n")
    dialog.get_by_role("button", name="Preview").click()
    dialog.get_by_test_id("import-problems").filter(has_text="router").wait_for()
    assert dialog.get_by_role("button", name="Apply").is_disabled()

    page.get_by_test_id("import-text").fill(document)
    dialog.get_by_role("button", name="Preview").click()
    preview = page.get_by_test_id("import-preview")
    preview.wait_for()
    assert "A new design" in preview.inner_text()
    rows = page.get_by_test_id("import-change").all_inner_texts()
    assert any("create" in r and "switch services" in r for r in rows), rows
    assert any("create" in r and "jail www" in r for r in rows), rows
    assert not in_thread(lambda: Design.objects.filter(name="placed-copy").exists())  # a preview saves nothing
    screenshot(page, "import-preview")

    dialog.get_by_role("button", name="Apply").click()
    page.get_by_test_id("design-name").filter(has_text="placed-copy").wait_for()
    copy = in_thread(lambda: Design.objects.get(name="placed-copy"))
    original = in_thread(lambda: Design.objects.get(name="placed"))
    assert in_thread(lambda: design_layout(design=copy)) == in_thread(lambda: design_layout(design=original))
    copied = [node_transform(page, t) for t in ("host-jailhost-a", "switch-services", "jail-www")]

    page.goto(f"{app_url}/#/designs/{original.pk}")
    page.get_by_test_id("design-name").filter(has_text="placed").wait_for()
    assert [node_transform(page, t) for t in ("host-jailhost-a", "switch-services", "jail-www")] == copied

    # Importing the document again into the existing copy: nothing changes.
    page.goto(f"{app_url}/#/")
    page.get_by_test_id("import-yaml").click()
    page.get_by_test_id("import-text").fill(document)
    page.get_by_test_id("import-dialog").get_by_role("button", name="Preview").click()
    page.get_by_test_id("import-preview").filter(has_text="nothing changes").wait_for()


def test_a_design_exported_from_the_designer_and_uploaded_again_is_drawn_the_same(
    new_page, make_browser_user, app_url, tmp_path
) -> None:
    """The user's round trip: Export YAML in the designer, the original renamed aside in the list, the downloaded
    file picked in the import dialog; the imported design's nodes sit where the original's do."""
    in_thread(create_placed_design)
    original = in_thread(lambda: Design.objects.get(name="placed"))
    make_browser_user("dana", "designer")
    page = new_page("dana")
    page.goto(f"{app_url}/#/designs/{original.pk}")
    page.get_by_test_id("design-name").filter(has_text="placed").wait_for()
    drawn = [node_transform(page, t) for t in ("host-jailhost-a", "switch-services", "jail-www")]
    with page.expect_download() as download:
        page.get_by_role("link", name="Export YAML").click()
    exported = tmp_path / "placed.yaml"
    download.value.save_as(exported)
    assert "layout:" in exported.read_text()

    page.goto(f"{app_url}/#/")
    row = page.get_by_test_id("design-row-placed")
    row.get_by_role("button", name="Rename").click()
    row.get_by_label("New name").fill("placed-old")
    row.get_by_role("button", name="Rename").click()
    page.get_by_test_id("design-row-placed-old").wait_for()

    page.get_by_test_id("import-yaml").click()
    dialog = page.get_by_test_id("import-dialog")
    dialog.get_by_label("YAML file").set_input_files(str(exported))
    page.wait_for_function("() => document.querySelector('[data-testid=import-text]').value.includes('layout:')")
    dialog.get_by_role("button", name="Preview").click()
    assert "A new design" in page.get_by_test_id("import-preview").inner_text()
    dialog.get_by_role("button", name="Apply").click()
    page.get_by_test_id("design-name").filter(has_text="placed").wait_for()
    imported = in_thread(lambda: Design.objects.get(name="placed"))
    assert imported.pk != original.pk
    assert [node_transform(page, t) for t in ("host-jailhost-a", "switch-services", "jail-www")] == drawn
