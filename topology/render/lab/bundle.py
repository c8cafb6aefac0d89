"""The deployable bundle of a lab host: its plan's files, and its plan's commands as converging steps.

Each command of the lab plan (:class:`~.plan.HostPlan`) becomes the step of ``programs/converge-lab.sh`` that
reaches the same state only when the live state differs (``ip link add`` -> ``link_ensure``, ``ip addr add`` ->
``addr_ensure``, ``nft -f`` -> ``nft_ensure`` ...). A command of a shape this module does not know is refused
(:class:`BundleError`), so a new kind of lab command cannot slip into deploys as a step that repeats itself.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from importlib.resources import files

from ..bundle import Bundle, BundleCheck, BundleError, BundleFile
from .plan import NFT_TABLE, HostPlan, LabCommand

CONVERGE_COMMON = files("topology.render").joinpath("converge-common.sh").read_text(encoding="utf-8")
CONVERGE_LIBRARY = files(__package__).joinpath("programs", "converge-lab.sh").read_text(encoding="utf-8")
OWNER = "root:root"
_LINK_PROPERTIES = {"mtu": "link_mtu", "master": "link_master", "address": "link_address"}


def _split_namespace(argv: Sequence[str]) -> tuple[str, list[str]]:
    """(namespace, rest) of an ``ip``/``nsenter`` command ("" for the host's own namespace)."""
    rest = list(argv)
    if rest[:1] == ["ip"] and len(rest) > 2 and rest[1] == "-n":
        return rest[2], ["ip", *rest[3:]]
    if rest[:1] == ["nsenter"] and len(rest) > 2 and rest[1].startswith("--net=/run/netns/"):
        return rest[1].removeprefix("--net=/run/netns/"), rest[2:]
    return "", rest


def _refuse(command: LabCommand) -> BundleError:
    return BundleError(f"no converging step for the lab command {shlex.join(command.argv)!r}")


def _ip_step(ns: str, words: list[str], command: LabCommand) -> list[list[str]]:
    match words:
        case ["netns", "add", name]:
            return [["netns_ensure", name]]
        case ["link", "add", name, *args]:
            return [["link_ensure", ns, name, *args]]
        case ["link", "set", name, "up"]:
            return [["link_up", ns, name]]
        case [
            "link",
            "set",
            name,
            "type",
            "bridge_slave",
            ("isolated" | "learning" | "hairpin") as flag,
            ("on" | "off") as state,
        ]:
            return [["port_flag", ns, name, flag, state]]
        case ["link", "set", name, prop, value] if prop in _LINK_PROPERTIES:
            return [[_LINK_PROPERTIES[prop], ns, name, value]]
        case ["addr", "add", cidr, "dev", dev]:
            return [["addr_ensure", ns, cidr, dev]]
        case ["route", "replace", dest, *args] if len(args) % 2 == 0:
            return [["route_ensure", ns, dest, *args]]
    raise _refuse(command)


def converge_steps(plan: HostPlan) -> list[list[str]]:
    """The converging steps (argv of library functions) of one lab host's commands, in the plan's order."""
    steps: list[list[str]] = []
    for command in plan.commands:
        ns, argv = _split_namespace(command.argv)
        match argv:
            case ["ip", *words]:
                steps += _ip_step(ns, words, command)
            case ["sysctl", "-q", "-e", "-w", *settings] if not ns:
                steps += [["sysctl_ensure", *s.split("=", 1)] for s in settings]
            case ["nft", "-f", path]:
                steps.append(["nft_ensure", ns, NFT_TABLE, path])
            case ["dnsmasq", conf] if conf.startswith("--conf-file=") and not ns:
                steps.append(["dnsmasq_ensure", conf.removeprefix("--conf-file=")])
            case ["busybox", "udhcpc", "-i", dev, *_] if ns:
                steps.append(["dhcp_ensure", ns, dev, *command.argv])
            case ["bridge", "fdb", "append", mac, "dev", dev, "dst", dst] if not ns:
                steps.append(["fdb_ensure", dev, mac, dst])
            case _:
                raise _refuse(command)
    return steps


def apply_program(plan: HostPlan) -> str:
    """The host's apply program: the converge library, then its steps (``JAILNET_MODE=library`` stops there)."""
    lines = [
        "#!/bin/sh",
        f"# jailnet apply program of lab host {plan.name}: converges; a second run changes nothing.",
        CONVERGE_COMMON.rstrip("\n"),
        CONVERGE_LIBRARY.rstrip("\n"),
        "",
        '[ "${JAILNET_MODE:-apply}" = library ] && return 0',
        "set -e",
        # A lab host is built by jailnet itself: everything its bundle names is the app's own.
        ': "${JAILNET_ADOPT:=1}"',
        *(shlex.join(step) for step in converge_steps(plan)),
        "reconcile",
        "",
    ]
    return "\n".join(lines)


def lab_bundle(plan: HostPlan) -> Bundle:
    """The bundle of one lab host: its files (root:root), the apply program, and checks run before applying."""
    bundle_files = tuple(
        BundleFile(path=f.path, mode=f"{f.mode:04o}", owner=OWNER, content=f.content)
        for f in sorted(plan.files, key=lambda f: f.path)
    )
    checks = [BundleCheck("apply program is valid sh", ("sh", "-n", "{apply}"))]
    for f in bundle_files:
        if f.path.endswith(".nft"):
            checks.append(BundleCheck(f"nftables accepts {f.path}", ("nft", "-c", "-f", f"{{file:{f.path}}}")))
        elif "dnsmasq" in f.path and f.path.endswith(".conf"):
            checks.append(
                BundleCheck(f"dnsmasq accepts {f.path}", ("dnsmasq", "--test", f"--conf-file={{file:{f.path}}}"))
            )
        elif f.path.endswith(".sh"):
            checks.append(BundleCheck(f"{f.path} is valid sh", ("sh", "-n", f"{{file:{f.path}}}")))
    restarts = tuple(f"dnsmasq ({step[1]})" for step in converge_steps(plan) if step[0] == "dnsmasq_ensure")
    return Bundle(
        host=plan.name, target="lab", files=bundle_files, apply=apply_program(plan), checks=tuple(checks),
        restarts=restarts,
    )  # fmt: skip


__all__ = ["CONVERGE_LIBRARY", "apply_program", "converge_steps", "lab_bundle"]
