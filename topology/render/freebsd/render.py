"""Entry points of the FreeBSD renderer: design snapshot -> one HostConfig per host."""

from __future__ import annotations

from ...snapshot import DesignSnapshot, Host, resolve_releases
from ..types import HostConfig
from .context import HostContext, Member, members_by_host
from .files import render_files
from .firewall import plan_firewall
from .jails import iocage_package, plan_jail_setup, plan_jails
from .network import plan_bridges, plan_interfaces, plan_routes, plan_vxlan
from .plan import HostPlan
from .script import render_script
from .vms import plan_dhcp, plan_vm_bhyve, plan_vms

# The order of the script: the network first (interfaces, VXLAN, routes, bridges), then what uses it.
_STEPS = (
    plan_interfaces,
    plan_vxlan,
    plan_routes,
    plan_bridges,
    plan_vm_bhyve,
    plan_firewall,
    plan_dhcp,
    plan_vms,
    plan_jail_setup,
    plan_jails,
)


def _packages(ctx: HostContext) -> list[str]:
    tools = ctx.tools
    packages = []
    if "iocage" in tools:
        releases = sorted({j.release for j in ctx.host.jails if j.manager == "iocage"}) or [ctx.host.release]
        packages.append(iocage_package(releases[0]))
    packages += [name for name in ("pot", "vm-bhyve", "dnsmasq") if name in tools]
    return packages


def build_plan(design: str, host: Host, members: list[Member]) -> HostPlan:
    """The host's plan: every rc.conf variable, script step and managed file, in order."""
    ctx = HostContext(design, host, members)
    plan = HostPlan(host.name, design)
    packages = _packages(ctx)
    if packages:
        plan.section("Packages").run(f"pkg install -y {' '.join(packages)}")
    for step in _STEPS:
        step(plan, ctx)
    return plan


def _render(design: str, host: Host, members: list[Member]) -> HostConfig:
    plan = build_plan(design, host, members)
    return HostConfig(host=host.name, script=render_script(plan), files=render_files(plan))


def render_host(snapshot: DesignSnapshot, host_name: str) -> HostConfig:
    """Render one host of ``snapshot``: its operator script and managed files. KeyError if there is no such host."""
    host = snapshot.host(host_name)
    if host is not None and not host.release:
        host = resolve_releases(snapshot).host(host_name)
    if host is None:
        raise KeyError(host_name)
    members = [(seg, m) for seg in snapshot.vxlan_segments for m in seg.members if m.host == host_name]
    return _render(snapshot.name, host, members)


def render_design(snapshot: DesignSnapshot) -> dict[str, HostConfig]:
    """Render every host of ``snapshot``, keyed and ordered by host name."""
    snapshot = resolve_releases(snapshot)
    members = members_by_host(snapshot)
    return {
        h.name: _render(snapshot.name, h, members.get(h.name, [])) for h in sorted(snapshot.hosts, key=lambda h: h.name)
    }
