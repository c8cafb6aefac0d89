"""What the lab renderer produces (:class:`LabPlan`, :class:`HostPlan`: files and argv commands) and the
small helpers every planner uses. Pure data."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from .model import iface

NFT_TABLE = "jailnet_lab"  # one table per namespace; deleting the namespace deletes it too


@dataclass(frozen=True)
class LabCommand:
    """One argv to run. ``may_fail``: a failure is reported as a warning, not a failed ``up``."""

    argv: tuple[str, ...]
    may_fail: bool = False


@dataclass(frozen=True)
class LabFile:
    """A file to write (atomically) before the commands run."""

    path: str
    content: str
    mode: int = 0o644


@dataclass(frozen=True)
class HostPlan:
    """What one lab host gets over SSH."""

    name: str
    netns: str
    mgmt_address: str
    files: tuple[LabFile, ...]
    commands: tuple[LabCommand, ...]
    notes: tuple[str, ...]
    pidfiles: tuple[str, ...]
    listeners: tuple[str, ...] = ()  # NETNS,ADDR:PORT,BANNER served for this host by the lab's listener


@dataclass(frozen=True)
class LabPlan:
    """The whole lab of a design."""

    design: str
    lab_id: str
    state_dir: str
    namespaces: tuple[str, ...]
    fabric: tuple[LabCommand, ...]  # run first, in order (locally, as root)
    cables: tuple[tuple[LabCommand, ...], ...]  # then these lists, concurrently (one per host)
    internet_files: tuple[LabFile, ...]
    internet: tuple[LabCommand, ...]
    hosts: tuple[HostPlan, ...]
    notes: tuple[str, ...]
    pidfiles: tuple[str, ...]
    # Last, locally: one TCP listener daemon serving every jail, VM, host alias and the stub's server. One
    # process for the whole lab instead of one per host: each costs a Python start-up, and the listener only
    # needs the namespaces to exist (it binds each socket inside its namespace).
    listener_files: tuple[LabFile, ...] = ()
    listener: tuple[LabCommand, ...] = ()


def c(*argv: str, may_fail: bool = False) -> LabCommand:
    """One command (``argv``)."""
    return LabCommand(tuple(argv), may_fail)


def on_link(gateway: str, cidrs: list[str]) -> bool:
    """Whether ``gateway`` lies in the subnet of one of ``cidrs`` (other than being that address itself).

    A route via an on-link gateway, added after the addresses, cannot fail; only then may it share its
    namespace's ``ip -batch`` (a route via anything else may fail and is then only a warning).
    """
    try:
        via = ipaddress.IPv4Address(gateway)
        return any(via in iface(c).network and via != iface(c).ip for c in cidrs)
    except ValueError:
        return False


def in_netns(netns: str, *argv: str) -> tuple[str, ...]:
    """Run ``argv`` in ``netns`` without a new mount namespace (``ip netns exec`` would make one)."""
    return ("nsenter", f"--net=/run/netns/{netns}", *argv)


__all__ = ["NFT_TABLE", "HostPlan", "LabCommand", "LabFile", "LabPlan", "c", "in_netns", "on_link"]
