"""The managed files of a host: its rc.conf.local (every rc.conf variable of the plan) and the plan's files."""

from __future__ import annotations

from ..types import ManagedFile
from .plan import RC_FILE, HostPlan, comment_lines, rc_assignment

RC_CONF_LOCAL = RC_FILE


def rc_conf_local(plan: HostPlan) -> str:
    """/etc/rc.conf.local: read after /etc/rc.conf (rc_conf_files), so these values win; owned by the tool."""
    lines = [
        *comment_lines(
            f"Managed by jailnet: host {plan.host} of design {plan.design}. Do not edit; changes are overwritten."
        ),
        "# rc.conf(5) reads this file after /etc/rc.conf, so the values below take precedence;",
        "# lists (cloned_interfaces, static_routes, jail_list ...) add to what /etc/rc.conf already lists.",
    ]
    lines += [rc_assignment(name, value, append=name in plan.rc_lists) for name, value in plan.rc_vars.items()]
    return "\n".join(lines) + "\n"


def render_files(plan: HostPlan) -> tuple[ManagedFile, ...]:
    """Every managed file of the plan, sorted by path."""
    files = dict(plan.files)
    if plan.rc_vars:
        files[RC_CONF_LOCAL] = ManagedFile(RC_CONF_LOCAL, rc_conf_local(plan))
    return tuple(files[path] for path in sorted(files))
