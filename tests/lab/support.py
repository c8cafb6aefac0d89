"""Helpers of the lab tests: whether a lab can run here, and snapshots from documents."""

from __future__ import annotations

import os
import shutil

import pytest

from topology import snapshot as s
from topology.design_io import load_document, snapshot_from_document

TOOLS = ["ip", "nsenter", "/usr/sbin/sshd", "ping", "nft", "dnsmasq", "busybox", "python3"]


def _why_no_lab() -> str | None:
    if os.geteuid() != 0:
        return "the lab needs root (network namespaces, veth, sshd)"
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        return f"missing programs: {', '.join(missing)} (Debian: iproute2 openssh-server dnsmasq-base nftables busybox)"
    return None


NO_LAB = _why_no_lab()
needs_lab = pytest.mark.skipif(NO_LAB is not None, reason=NO_LAB or "")


def snapshot_of(document: str) -> s.DesignSnapshot:
    """A snapshot from a design document."""
    return snapshot_from_document(load_document(document))


def unique_name(name: str) -> str:
    """``name`` made unique per test process: labs are identified by their design's name, and two test runs
    (or two pytest-xdist workers) must never tear down each other's lab."""
    return f"{name}-{os.getpid()}"
