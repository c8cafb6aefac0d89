"""What the change-request workflow does when a design changes: its open requests go stale."""

from __future__ import annotations

from typing import Any

from topology.signals import design_content_changed

from .services import design_changed


def _on_design_content_changed(sender: Any, design_id: int, **_: Any) -> None:
    design_changed(design_id)


def connect_receivers() -> None:
    """Listen to the topology room's events (from ``TopologyConfig.ready``)."""
    design_content_changed.connect(_on_design_content_changed, dispatch_uid="jailnet-changes-design-changed")
