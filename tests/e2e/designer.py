"""Page helpers for the designer: palette, canvas connections, property forms, panels."""

from __future__ import annotations

import importlib
import re


def server_has(module: str, name: str) -> bool:
    """Whether a part of the backend the designer shows (validation, rendering) is there yet."""
    try:
        return hasattr(importlib.import_module(module), name)
    except ImportError:
        return False


HAS_VALIDATION = server_has("topology.validation", "validate")
HAS_RENDER = server_has("topology.render.freebsd", "render_host")


def add(page, item: str, node_testid: str) -> None:
    """Click a palette item and wait for its node on the canvas."""
    page.get_by_test_id(f"palette-{item}").click()
    page.get_by_test_id(node_testid).wait_for()


def node(page, testid: str):
    return page.get_by_test_id(testid)


def select(page, testid: str) -> None:
    """Select a canvas node by clicking its title."""
    page.get_by_test_id(testid).locator("strong").first.click()


def form(page, kind: str, index: int = 0):
    """The property form of ``kind``, or its part inside another object's form (a jail's NIC in the jail's)."""
    return page.locator(f'form[data-testid="form-{kind}"], fieldset[data-testid="form-{kind}"]').nth(index)


def fill(page, kind: str, values: dict[str, object], index: int = 0, expect_saved: bool = True) -> None:
    """Fill fields of the property form of ``kind`` and save; waits until the server's new version shows."""
    target = form(page, kind, index)
    version = target.locator(".version").first.inner_text()
    for name, value in values.items():
        # The object's own field: in a jail's form its NICs' fields (also called name ...) come after its own.
        field = target.locator(f'[name="{name}"]').first
        tag = field.evaluate("el => el.tagName + ':' + (el.type || '')")
        if tag.startswith("SELECT"):
            field.select_option(str(value))
        elif tag == "INPUT:checkbox":
            field.set_checked(bool(value))
        else:
            field.fill(str(value))
    target.locator("xpath=ancestor-or-self::form").get_by_role("button", name="Save").click()
    if expect_saved:
        target.locator(".version").first.filter(has_not_text=re.compile(f"^{re.escape(version)}$")).wait_for()


def connect(page, from_testid: str, to_testid: str) -> None:
    """Drag from a node's handle to another node's handle (a NIC, port or VXLAN member)."""
    source = page.get_by_test_id(from_testid).locator(".react-flow__handle").first
    target = page.get_by_test_id(to_testid).locator(".react-flow__handle").first
    start = source.bounding_box()
    end = target.bounding_box()
    assert start and end

    def inner(handle, box) -> tuple[float, float]:
        # The half of the handle inside its node: the node clips the other half (at a fractional zoom the
        # handle's centre can fall on the clipped side and the press would drag the node instead).
        bottom = "react-flow__handle-bottom" in (handle.get_attribute("class") or "")
        return box["x"] + box["width"] / 2, box["y"] + box["height"] * (0.25 if bottom else 0.75)

    page.mouse.move(*inner(source, start))
    page.mouse.down()
    page.mouse.move(*inner(target, end), steps=12)
    page.mouse.up()


def tab(page, name: str) -> None:
    page.get_by_role("tab", name=re.compile(name)).click()


def error_findings(page) -> int:
    tab(page, "Validation")
    page.get_by_test_id("validation-panel").wait_for()
    return page.locator(".finding.error").count()
