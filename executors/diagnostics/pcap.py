"""pcap files of captures: where the host writes one, how many packets a byte limit allows, and cutting a
file read back up to that limit at its last whole packet. Pure.

The file format (pcap-savefile(5)): a 24-byte header whose magic number says the byte order (and micro- or
nanosecond timestamps), then per packet a 16-byte record header whose third word is the captured length,
followed by that many bytes.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

HEADER_BYTES = 24
RECORD_HEADER_BYTES = 16
_MAGICS = {
    b"\xd4\xc3\xb2\xa1": "<",  # microseconds, little-endian
    b"\xa1\xb2\xc3\xd4": ">",
    b"\x4d\x3c\xb2\xa1": "<",  # nanoseconds
    b"\xa1\xb2\x3c\x4d": ">",
}
_PATH = re.compile(r"/tmp/jailnet-capture-[0-9a-f]{16}\.pcap")


class NotPcap(ValueError):
    """The data does not start with a pcap file header."""


def capture_path(token: str) -> str:
    """The file a capture writes on its host (``token``: 16 random hex digits, chosen when it is asked for, so
    that the command audited and shown is exactly the one run)."""
    path = f"/tmp/jailnet-capture-{token}.pcap"
    if not _PATH.fullmatch(path):
        raise ValueError(f"not a capture path: {path!r}")
    return path


def packets_within(byte_limit: int, snaplen: int) -> int:
    """How many packets of at most ``snaplen`` bytes a file of ``byte_limit`` bytes surely holds.

    A capture saved to a file stops at ``min(packets, this)`` (tcpdump ``-c``): the host's file can never
    outgrow the byte limit, whatever the traffic, without anyone watching its size.
    """
    return max(1, (byte_limit - HEADER_BYTES) // (snaplen + RECORD_HEADER_BYTES))


@dataclass(frozen=True, slots=True)
class PcapFile:
    """A pcap file cut at its last whole packet."""

    data: bytes
    packets: int
    truncated: bool  # bytes after the last whole packet were dropped


def whole_packets(data: bytes) -> PcapFile:
    """``data`` (a pcap file, possibly cut anywhere) up to its last whole packet; raises :class:`NotPcap`."""
    if len(data) < HEADER_BYTES or data[:4] not in _MAGICS:
        raise NotPcap("not a pcap file (no pcap header)")
    order = _MAGICS[data[:4]]
    offset, packets = HEADER_BYTES, 0
    while offset + RECORD_HEADER_BYTES <= len(data):
        (captured,) = struct.unpack_from(order + "I", data, offset + 8)
        end = offset + RECORD_HEADER_BYTES + captured
        if end > len(data):
            break
        offset, packets = end, packets + 1
    return PcapFile(data=data[:offset], packets=packets, truncated=offset < len(data))
