"""The text of the programs the lab pushes to its hosts (the programs themselves are in ``programs/``).

``HELPER_SOURCE`` is ``programs/lab_helper.py``: a stdlib-only Python program the lab runs with the system
``python3 -I -S`` — the TCP listener daemon of the lab and the check's bounded TCP probe.
``UDHCPC_SCRIPT`` is ``programs/udhcpc-script.sh``, the event script of busybox ``udhcpc`` in DHCP guests:
it configures the leased address and router.

Read once, when this module is imported: rendering stays a pure function of the snapshot.
"""

from __future__ import annotations

from importlib.resources import files

_PROGRAMS = files(__package__).joinpath("programs")

HELPER_SOURCE = _PROGRAMS.joinpath("lab_helper.py").read_text(encoding="utf-8")
UDHCPC_SCRIPT = _PROGRAMS.joinpath("udhcpc-script.sh").read_text(encoding="utf-8")

__all__ = ["HELPER_SOURCE", "UDHCPC_SCRIPT"]
