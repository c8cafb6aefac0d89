"""tcpdump -n -l lines: timestamp, and the VNI of VXLAN packets."""

from __future__ import annotations

import re

from ...records import (
    PacketLine,
    Parsed,
)

# --- tcpdump -------------------------------------------------------------------------------------------------

_TIMESTAMP = re.compile(r"(\d{2}:\d{2}:\d{2}\.\d{6}) ")
_VNI = re.compile(r"VXLAN, flags \[[I.]\] \(0x[0-9a-f]{2}\), vni (\d+)")


def parse_tcpdump(text: str) -> Parsed[PacketLine]:
    """``tcpdump -n -l``: each line as a packet line, with its timestamp and the VNI of a VXLAN header
    (print-vxlan.c ``VXLAN, flags [I] (0x08), vni %u``; the inner frame follows on the next line)."""
    result: Parsed[PacketLine] = Parsed()
    for line in text.splitlines():
        if not line.strip():
            continue
        stamp = _TIMESTAMP.match(line)
        vni = _VNI.search(line) if "VXLAN" in line else None
        result.records.append(PacketLine(stamp.group(1) if stamp else None, line, int(vni.group(1)) if vni else None))
    return result
