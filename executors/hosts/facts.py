"""What a host is: its system, release, ``uname``, the tools jailnet uses and its interfaces.

Gathered by one read-only script (``facts.sh``, checked by shellcheck and dash) over one SSH channel; the same
script answers on FreeBSD (``freebsd-version``, ``ifconfig -l``) and on the lab's Linux hosts (``/etc/os-release``,
``ip -o link``).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import Any

from executors.ssh import SshSession

FACT_MARK = "@@fact "
# The tools a design may need on a FreeBSD host (and their Linux equivalents on lab hosts).
FREEBSD_TOOLS = ("iocage", "pot", "vm", "dnsmasq")


def facts_script() -> str:
    """The text of ``facts.sh``."""
    return resources.files(__package__).joinpath("facts.sh").read_text()


def parse_facts(output: str) -> dict[str, Any]:
    """The facts printed by ``facts.sh``: system, release, uname, tools (name -> path), interfaces."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in output.splitlines():
        if line.startswith(FACT_MARK):
            current = sections.setdefault(line[len(FACT_MARK) :].strip(), [])
        elif current is not None and line.strip():
            current.append(line.strip())
    if "end" not in sections:
        raise ValueError("the facts script did not finish (no end marker in its output)")
    system = (sections.get("system") or [""])[0]
    tools = dict(line.split(" ", 1) for line in sections.get("tools", []) if " " in line)
    interfaces: list[str] = []
    for line in sections.get("interfaces", []):
        # ``ifconfig -l`` prints one line of names; ``ip -o link`` one name per line, veths as ``name@peer``.
        interfaces += [name.split("@", 1)[0] for name in line.split()]
    release = (sections.get("release") or [""])[0]
    return {
        "system": system,
        "release": release,
        "freebsd_version": release if system == "FreeBSD" else "",
        "uname": (sections.get("uname") or [""])[0],
        "tools": tools,
        "missing_tools": [t for t in FREEBSD_TOOLS if t not in tools] if system == "FreeBSD" else [],
        "interfaces": interfaces,
    }


async def gather_facts(
    session: SshSession, *, timeout: float = 20.0, on_line: Callable[[str, str], None] | None = None
) -> dict[str, Any]:
    """Run ``facts.sh`` on the host of ``session`` and parse what it printed; ``on_line(stream, line)`` is told
    each line as it arrives (a job's log)."""
    if on_line is None:
        result = await session.run(["sh", "-s"], input=facts_script(), timeout=timeout, check=True)
        return parse_facts(result.stdout)
    lines: list[str] = []
    command = session.stream(["sh", "-s"], input=facts_script(), timeout=timeout)
    async for stream, line in command:
        on_line(stream, line)
        if stream == "stdout":
            lines.append(line)
    if command.exit_status != 0:
        raise ValueError(f"the facts script exited {command.exit_status}")
    return parse_facts("\n".join(lines) + "\n")
