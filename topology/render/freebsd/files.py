"""The managed files of a host: its rc.conf.local (every rc.conf variable of the plan) and the plan's files."""

from __future__ import annotations

from ..types import ManagedFile
from .plan import HostPlan, sh_quote

RC_CONF_LOCAL = "/etc/rc.conf.local"


def rc_conf_local(plan: HostPlan) -> str:
    """/etc/rc.conf.local: read after /etc/rc.conf (rc_conf_files), so these values win; owned by the tool."""
    lines = [
        f"# Managed by jailnet: host {plan.host} of design {plan.design}. Do not edit; changes are overwritten.",
        "# rc.conf(5) reads this file after /etc/rc.conf, so the values below take precedence.",
    ]
    lines += [f"{name}={sh_quote(value)}" for name, value in plan.rc_vars.items()]
    return "\n".join(lines) + "\n"


def render_files(plan: HostPlan) -> tuple[ManagedFile, ...]:
    """Every managed file of the plan, sorted by path."""
    files = dict(plan.files)
    if plan.rc_vars:
        files[RC_CONF_LOCAL] = ManagedFile(RC_CONF_LOCAL, rc_conf_local(plan))
    return tuple(files[path] for path in sorted(files))
