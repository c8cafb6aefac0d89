"""Lab target: a design realised on Linux network namespaces, and the reachability it promises (pure)."""

from .expectations import Cell, expected_matrix, trace
from .model import LabNetwork, lab_id
from .network import build_network
from .render import NFT_TABLE, HostPlan, LabCommand, LabFile, LabPlan, render_lab

__all__ = [
    "NFT_TABLE",
    "Cell",
    "HostPlan",
    "LabCommand",
    "LabFile",
    "LabNetwork",
    "LabPlan",
    "build_network",
    "expected_matrix",
    "lab_id",
    "render_lab",
    "trace",
]
