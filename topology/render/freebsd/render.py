"""Entry points of the FreeBSD renderer: design snapshot -> one HostConfig per host."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from ...snapshot import DesignSnapshot, Host, resolve_releases
from ..types import HostConfig
from .context import HostContext, Member, members_by_host
from .files import render_files
from .firewall import plan_firewall
from .jails import iocage_package, plan_jail_setup, plan_jails
from .network import plan_bridges, plan_interfaces, plan_routes, plan_vxlan
from .plan import Flag, HostPlan, comment_lines
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
        packages.append(iocage_package(ctx.host.release))
    packages += [name for name in ("pot", "vm-bhyve", "dnsmasq") if name in tools]
    return packages


def build_plan(design: str, host: Host, members: list[Member]) -> HostPlan:
    """The host's plan: every rc.conf variable, script step and managed file, in order."""
    ctx = HostContext(design, host, members)
    plan = HostPlan(host.name, design)
    packages = _packages(ctx)
    if packages:
        plan.section("Packages").cmd("pkg", "install", Flag("-y"), *packages)
    for step in _STEPS:
        step(plan, ctx)
    return plan


def _render(design: str, host: Host, members: list[Member], banner: tuple[str, ...]) -> HostConfig:
    plan = build_plan(design, host, members)
    files = render_files(plan)
    if banner:
        files = tuple(dataclasses.replace(f, content=with_banner(f.content, banner)) for f in files)
    return HostConfig(host=host.name, script=render_script(plan, banner), files=files)


def forced_banner(errors: Sequence[str]) -> tuple[str, ...]:
    """The comment a forced render puts at the top of every file: the design has errors, do not deploy it."""
    shown = [f"  {message}" for message in errors[:5]]
    more = [f"  ... and {len(errors) - 5} more"] if len(errors) > 5 else []
    return (
        f"FORCED RENDER: this design has {len(errors)} validation error(s); this output is not fit to deploy.",
        *shown,
        *more,
    )


def with_banner(content: str, banner: tuple[str, ...]) -> str:
    """``content`` with the banner's comment lines at the top (after a ``#!`` line, which must stay first)."""
    lines = [line for text in banner for line in comment_lines(text)]
    if content.startswith("#!"):
        first, _, rest = content.partition("\n")
        return "\n".join([first, *lines, rest]) if rest else "\n".join([first, *lines]) + "\n"
    return "\n".join([*lines, content])


def render_host(snapshot: DesignSnapshot, host_name: str, *, banner: tuple[str, ...] = ()) -> HostConfig:
    """Render one host of ``snapshot``: its operator script and managed files. KeyError if there is no such host.

    ``banner`` (see :func:`forced_banner`) goes at the top of the script and of every file.
    """
    host = snapshot.host(host_name)
    if host is not None and not host.release:
        host = resolve_releases(snapshot).host(host_name)
    if host is None:
        raise KeyError(host_name)
    members = [(seg, m) for seg in snapshot.vxlan_segments for m in seg.members if m.host == host_name]
    return _render(snapshot.name, host, members, banner)


def render_design(snapshot: DesignSnapshot, *, banner: tuple[str, ...] = ()) -> dict[str, HostConfig]:
    """Render every host of ``snapshot``, keyed and ordered by host name."""
    snapshot = resolve_releases(snapshot)
    members = members_by_host(snapshot)
    return {
        h.name: _render(snapshot.name, h, members.get(h.name, []), banner)
        for h in sorted(snapshot.hosts, key=lambda h: h.name)
    }
