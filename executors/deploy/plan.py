"""The live plan of a deploy: per host, what the apply would do against the host's live state, and whether it
touches the path the controller reaches the host by.

The host side is ``agent.sh plan`` (the staged apply program run with every change skipped; it prints one
``@@plan WHAT`` line per action it would take, in the words the apply prints as ``@@changed``). This module
stages the bundle under a plan id, runs that command over the SSH transport, removes the staged directory, and
sorts the lines into the plan's categories. The management-path analysis is pure: :func:`management_warnings`
looks at the actions, the interface that holds the controller's address on the host, and the bundle's new
firewall rules.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from executors.ssh import SshError, SshTransport
from topology.render.bundle import Bundle

from .pipeline import HostDeploy, stage_script

PLAN = "@@plan "
ADDRESS = "@@address "
SSH_PORT = 22

# (category, pattern) in order: the first match wins. The words are the converge libraries' own.
_CATEGORIES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (category, re.compile(pattern))
    for category, pattern in (
        ("files", r"^file (?P<object>\S+)"),
        ("addresses_removed", r"^address (?P<object>\S+) removed from (?P<interface>\S+)"),
        ("addresses_added", r"^address (?P<object>\S+) on (?P<interface>\S+)"),
        ("interfaces_created", r"^(?:VLAN interface|interface|vm-bhyve switch) (?P<interface>\S+) created$"),
        ("interfaces_created", r"^(?:link|namespace) (?P<interface>\S+) created"),
        ("interfaces_destroyed", r"^(?:VLAN interface|interface|vm-bhyve switch) (?P<interface>\S+) destroyed$"),
        ("interfaces_destroyed", r"^(?:link|namespace) (?P<interface>\S+) removed(?: in \S+)?$"),
        ("members_added", r"^(?:link )?(?P<interface>\S+) added to (?P<object>\S+)$"),
        ("members_removed", r"^(?:link )?(?P<interface>\S+) removed from (?P<object>\S+)$"),
        ("restarts", r"^(?:jail|VM) (?P<object>\S+) (?:restarted|started|stopped)$"),
        ("firewall", r"^(?:pf |nftables |ipfw )"),
        ("restarts", r"^(?P<object>\S+)(?: \(\S+\))? (?:restarted|started|stopped)"),
        ("routes", r"^(?:default route|route) "),
    )
)
CATEGORIES = (
    "interfaces_created", "interfaces_destroyed", "members_added", "members_removed", "addresses_added",
    "addresses_removed", "restarts", "firewall", "routes", "files", "other",
)  # fmt: skip


def categorize(action: str) -> tuple[str, str]:
    """(category, interface it touches or "") of one action line."""
    for category, pattern in _CATEGORIES:
        match = pattern.match(action)
        if match:
            return category, match.groupdict().get("interface") or ""
    words = action.split()
    interface = words[1] if len(words) > 1 and words[0] in ("interface", "link") else ""
    return "other", interface


@dataclass
class LivePlan:
    """One host's plan: its actions by category, the management-path warnings, or why there is no plan."""

    host: str
    actions: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    management_interface: str = ""
    error: str = ""

    @property
    def unchanged(self) -> bool:
        """The apply would do nothing."""
        return not self.error and not any(self.actions.values())

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (a plan job's result per host)."""
        return {
            "host": self.host, "actions": self.actions, "warnings": self.warnings,
            "management_interface": self.management_interface, "error": self.error, "unchanged": self.unchanged,
        }  # fmt: skip


def parse_plan_output(host: str, lines: Iterable[str]) -> LivePlan:
    """The plan of the agent's output lines (``@@plan`` and ``@@address``; anything else is ignored)."""
    plan = LivePlan(host)
    for line in lines:
        if line.startswith(PLAN):
            action = line[len(PLAN) :].strip()
            category, _ = categorize(action)
            plan.actions.setdefault(category, []).append(action)
        elif line.startswith(ADDRESS):
            words = line[len(ADDRESS) :].split()
            plan.management_interface = words[1] if len(words) > 1 else ""
    return plan


_COMMENT = re.compile(r"#.*$")
_FIREWALL_FILE = re.compile(r"(?:/pf\.conf|\.nft|/ipfw\.rules|/rc\.firewall[^/]*)$")


def firewall_rules_matching_ssh(content: str, *, port: int = SSH_PORT) -> list[str]:
    """The rules of a pf, nftables or ipfw file that could match a new SSH connection to ``port``: a blocking
    rule naming the port, or a blocking rule naming no port at all (it matches every port)."""
    named = re.compile(rf"(?:port\s*(?:=\s*)?|dport\s+|\{{[^}}]*\b){port}\b|\bssh\b")
    found = []
    for raw in content.splitlines():
        line = _COMMENT.sub("", raw).strip()
        if not line:
            continue
        blocking = re.search(r"^(?:block|deny)\b|\b(?:drop|reject|deny)\b|policy\s+drop", line)
        if not blocking:
            continue
        if named.search(line) or not re.search(r"\bport\b|\bdport\b", line):
            found.append(line)
    return found


def management_warnings(
    plan: LivePlan, *, bundle: Bundle | None, management_address: str, ssh_port: int = SSH_PORT
) -> list[str]:
    """Why the plan could cut the controller's path to the host (the interface or address it uses, the default
    route, firewall rules that could match SSH). Pure."""
    warnings: list[str] = []
    interface = plan.management_interface
    word = re.compile(rf"(?<![\w.-]){re.escape(interface)}(?![\w.-])") if interface else None
    for category in CATEGORIES:
        for action in plan.actions.get(category, []):
            if category == "files":
                continue
            if management_address and re.search(rf"(?<![\d.]){re.escape(management_address)}(?![\d])", action):
                warnings.append(f"{action}: the address the controller reaches this host by")
            elif word is not None and word.search(action):
                warnings.append(f"{action}: the interface the controller reaches this host through ({interface})")
            elif category == "routes" and action.startswith("default route"):
                warnings.append(f"{action}: the default route may carry the controller's connection")
    firewall_changes = [a for a in plan.actions.get("firewall", [])]
    changed_files = {a.split()[1] for a in plan.actions.get("files", []) if len(a.split()) > 1}
    for f in bundle.files if bundle else ():
        if not _FIREWALL_FILE.search(f.path) or (f.path not in changed_files and not firewall_changes):
            continue
        rules = firewall_rules_matching_ssh(f.content, port=ssh_port)
        if rules:
            shown = "; ".join(rules[:3]) + (" …" if len(rules) > 3 else "")
            warnings.append(f"{f.path} changes and has rules that could match SSH (port {ssh_port}): {shown}")
    return warnings


async def plan_host(
    deploy: HostDeploy, *, transport: SshTransport, management_address: str = "", ssh_port: int = SSH_PORT
) -> LivePlan:
    """Stage ``deploy``'s bundle, run ``agent.sh plan`` against the live state, remove the staged directory.

    Never raises for what happens on the host: a failure is the plan's ``error``.
    """
    host = deploy.bundle.host
    argv = ["sh", f"{deploy.directory}/agent.sh", "plan", deploy.root, deploy.deploy_id]
    if management_address:
        argv.append(management_address)
    try:
        async with transport.connect(deploy.target) as session:
            staged = await session.run(["sh", "-s"], input=stage_script(deploy), timeout=60)
            if not staged.ok:
                return LivePlan(host, error=f"staging the bundle failed: {staged.stderr.strip()[-300:]}")
            try:
                result = await session.run(argv, timeout=120)
            finally:
                await session.run(["rm", "-rf", deploy.directory], timeout=30)
    except SshError as exc:
        return LivePlan(host, error=f"no plan: {exc}")
    plan = parse_plan_output(host, result.stdout.splitlines())
    if not result.ok:
        plan.error = f"the plan exited {result.exit_status}: {result.stderr.strip()[-300:]}"
    plan.warnings = management_warnings(
        plan, bundle=deploy.bundle, management_address=management_address, ssh_port=ssh_port
    )
    return plan


def plan_deploy(bundle: Bundle, target, root: str) -> HostDeploy:  # type: ignore[no-untyped-def]
    """A deploy description used only to stage a plan (its own id, never committed)."""
    return HostDeploy(bundle=bundle, target=target, root=root, deploy_id=f"plan-{uuid.uuid4().hex[:12]}")


async def plan_hosts(
    deploys: list[tuple[HostDeploy, str]],
    *,
    transport_for: Callable[[HostDeploy], SshTransport],
    concurrency: int = 64,
) -> list[LivePlan]:
    """Plans of many hosts at once (``(deploy, management address)`` pairs); results in the same order."""
    limit = asyncio.Semaphore(concurrency)

    async def one(deploy: HostDeploy, address: str) -> LivePlan:
        async with limit:
            return await plan_host(deploy, transport=transport_for(deploy), management_address=address)

    return list(await asyncio.gather(*(one(d, a) for d, a in deploys)))


__all__ = [
    "CATEGORIES", "LivePlan", "categorize", "firewall_rules_matching_ssh", "management_warnings",
    "parse_plan_output", "plan_deploy", "plan_host", "plan_hosts",
]  # fmt: skip
