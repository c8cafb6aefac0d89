"""JN6xx — firewall policies of hosts and VNET jails."""

from __future__ import annotations

from collections.abc import Iterator

from ... import snapshot as s
from .. import refs
from ..findings import Issue, Severity
from ..index import DesignIndex
from ..registry import rule

SSH_PORT = 22


# --- firewall ---------------------------------------------------------------------------------------------


def policies(host: s.Host) -> Iterator[tuple[str, s.FirewallPolicy]]:
    """(owner path, policy) for the host's firewall and each jail's."""
    if host.firewall is not None:
        yield host.name, host.firewall
    for jail in host.jails:
        if jail.firewall is not None:
            yield f"{host.name}/jails/{jail.name}", jail.firewall


@rule(
    "JN640",
    Severity.ERROR,
    "Firewall rule with a port but no TCP/UDP protocol",
    "pf only matches ports for ``proto tcp`` or ``proto udp``; a rule with a port must name one of them.",
    scope="host",
)
def port_without_protocol(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        for owner, policy in policies(host):
            for position, fw_rule in enumerate(policy.rules):
                if fw_rule.port is not None and fw_rule.protocol not in ("tcp", "udp"):
                    yield Issue(
                        f"{owner} firewall rule {position + 1} matches port {fw_rule.port} with protocol "
                        f"{fw_rule.protocol}; use tcp or udp",
                        (refs.firewall_rule_ref(owner, position, fw_rule),),
                    )


def _allows_ssh(policy: s.FirewallPolicy) -> bool:
    return any(
        r.action == "pass"
        and r.direction in ("in", "any")
        and r.protocol in ("tcp", "any")
        and r.port in (None, SSH_PORT)
        for r in policy.rules
    )


@rule(
    "JN641",
    Severity.WARNING,
    "Host firewall may lock out its administrators",
    "The host's pf (or ipfw with its own rules) blocks by default and no rule passes SSH (tcp port 22) in, or "
    "ipfw is 'closed'. "
    "As the article warns, enabling such a firewall over SSH locks you out.",
    scope="host",
)
def firewall_lockout(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        policy = host.firewall
        if policy is None:
            continue
        if policy.engine == "pf" and policy.default_block and not _allows_ssh(policy):
            yield Issue(
                f"{host.name} pf blocks by default and passes no SSH in", (refs.firewall_ref(host.name, policy),)
            )
        elif policy.engine == "ipfw" and policy.rules and policy.default_block and not _allows_ssh(policy):
            yield Issue(
                f"{host.name} ipfw rules block by default and pass no SSH in", (refs.firewall_ref(host.name, policy),)
            )
        elif policy.engine == "ipfw" and not policy.rules and policy.ipfw_type == "closed":
            yield Issue(f"{host.name} ipfw firewall_type closed blocks SSH", (refs.firewall_ref(host.name, policy),))
