"""Parsers of FreeBSD command output, written from the tools' printf formats (sources in docs/diagnostics.md).

Each parser takes the whole text and returns :class:`~executors.diagnostics.records.Parsed` records. A line it
does not recognise is kept as a :class:`~executors.diagnostics.records.RawLine`; no input makes one raise.
Indentation is not relied on (tools print tabs, articles and terminals turn them into spaces); line wraps
that articles add to the ifconfig header (``... <FLAGS>`` / ``metric 0 mtu 1450``) are joined.
"""

from __future__ import annotations

from .interfaces import parse_ifconfig, parse_ifconfig_group
from .jails import parse_iocage_list, parse_jls, parse_pot_ls, parse_vm_switch_list
from .neighbours import (
    parse_arp,
    parse_arp_deleted,
    parse_ifmcstat,
    parse_sockstat,
    parse_vxlan_ftable,
    split_host_port,
)
from .pf import parse_nat_rule_line, parse_pfctl_nat, parse_pfctl_rules, parse_pfctl_state
from .tcpdump import parse_tcpdump

__all__ = [
    "parse_arp",
    "parse_arp_deleted",
    "parse_ifconfig",
    "parse_ifconfig_group",
    "parse_ifmcstat",
    "parse_iocage_list",
    "parse_jls",
    "parse_nat_rule_line",
    "parse_pfctl_nat",
    "parse_pfctl_rules",
    "parse_pfctl_state",
    "parse_pot_ls",
    "parse_sockstat",
    "parse_tcpdump",
    "parse_vm_switch_list",
    "parse_vxlan_ftable",
    "split_host_port",
]
