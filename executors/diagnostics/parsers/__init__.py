"""Parsers by name: what a catalogue entry's ``parsers`` refer to. Each takes text and returns ``Parsed``."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import Any

from ..records import Parsed
from . import freebsd, linux

Parser = Callable[[str], Parsed[Any]]


def _bulk(parser: Parser) -> Parser:
    """``parser`` with the cyclic garbage collector paused while it runs.

    A parser allocates one record per line and no reference cycles; on a 50,000-line ARP table the
    collector's repeated passes over the growing list cost more than the parsing itself (about 2x).
    """

    @functools.wraps(parser)
    def run(text: str) -> Parsed[Any]:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return parser(text)
        finally:
            if was_enabled:
                gc.enable()

    return run


_PARSERS: dict[str, Parser] = {
    # FreeBSD
    "ifconfig": freebsd.parse_ifconfig,
    "ifconfig-group": freebsd.parse_ifconfig_group,
    "arp": freebsd.parse_arp,
    "arp-deleted": freebsd.parse_arp_deleted,
    "sockstat": freebsd.parse_sockstat,
    "ifmcstat": freebsd.parse_ifmcstat,
    "vxlan-ftable": freebsd.parse_vxlan_ftable,
    "pfctl-state": freebsd.parse_pfctl_state,
    "pfctl-nat": freebsd.parse_pfctl_nat,
    "pfctl-rules": freebsd.parse_pfctl_rules,
    "jls": freebsd.parse_jls,
    "vm-switch-list": freebsd.parse_vm_switch_list,
    "iocage-list": freebsd.parse_iocage_list,
    "pot-ls": freebsd.parse_pot_ls,
    "tcpdump": freebsd.parse_tcpdump,
    # Linux (lab hosts)
    "ip-addr-json": linux.parse_ip_addr_json,
    "ip-neigh-json": linux.parse_ip_neigh_json,
    "ip-maddr-json": linux.parse_ip_maddr_json,
    "ss": linux.parse_ss,
    "bridge-fdb-json": linux.parse_bridge_fdb_json,
    "ip-netns-json": linux.parse_ip_netns_json,
    "nft-nat": linux.parse_nft_nat,
}
PARSERS: dict[str, Parser] = {name: _bulk(parser) for name, parser in _PARSERS.items()}


def parse(parser: str, text: str) -> Parsed[Any]:
    """Run the parser called ``parser`` on ``text``."""
    return PARSERS[parser](text)


__all__ = ["PARSERS", "Parsed", "Parser", "parse"]
