"""Bring a design's lab up, check it, tear it down. No database here (see ``executors.lab.services``).

``lab_up`` (:mod:`.up`): namespaces and cabling (locally, as root) -> one ``sshd`` per host namespace, reachable
only from the lab's management namespace (:mod:`.hosts`) -> each host's files and commands pushed over SSH with
the product's own transport as one script (:mod:`.script`) -> the internet stub. ``lab_check`` (:mod:`.check`):
the expected matrix, measured cell by cell. ``lab_down`` (:mod:`.down`): stops every process living in a lab
namespace and deletes the namespaces. This module gathers their public names.
"""

from __future__ import annotations

from .check import PROBE_CONCURRENCY, PROBE_TIMEOUT, CheckReport, MeasuredCell, lab_check
from .common import LabError, LabNotPermitted, missing_tools, read_state, require_root, run_coroutine
from .down import DownResult, lab_down, lab_status, leftovers
from .hosts import HOST_KEY, KEY_TYPE, SSHD_READY_TIMEOUT, Lab, link_kind_supported
from .script import command_groups, command_script, script_failures
from .up import UpResult, lab_up

__all__ = [
    "HOST_KEY", "KEY_TYPE", "PROBE_CONCURRENCY", "PROBE_TIMEOUT", "SSHD_READY_TIMEOUT", "CheckReport",
    "DownResult", "Lab", "LabError", "LabNotPermitted", "MeasuredCell", "UpResult", "command_groups",
    "command_script", "lab_check", "lab_down", "lab_status", "lab_up", "leftovers", "link_kind_supported",
    "missing_tools", "read_state", "require_root", "run_coroutine", "script_failures",
]  # fmt: skip
