"""The operator script: the plan printed as the commands an admin would type, section by section."""

from __future__ import annotations

from .plan import Command, HostPlan, Note, Sysrc, WriteFile, sh_quote


def _heredoc(path: str, content: str, mode: str) -> list[str]:
    delimiter = "EOF"
    while f"\n{delimiter}\n" in f"\n{content}":
        delimiter = f"JAILNET_{delimiter}"
    lines = [f"cat > {path} <<'{delimiter}'", content.rstrip("\n"), delimiter]
    if mode != "0644":
        lines.append(f"chmod {mode} {path}")
    return lines


def render_script(plan: HostPlan) -> str:
    """The shell script for one host: sysrc lines, commands and file heredocs, commented by section."""
    managed = sorted([*plan.files, *(["/etc/rc.conf.local"] if plan.rc_vars else [])])
    out = [
        "#!/bin/sh",
        f"# jailnet: host {plan.host} of design {plan.design}",
        "# The commands an admin would type, in order. A deploy pushes the same values as managed files:",
        *(f"#   {path}" for path in managed),
    ]
    for section in plan.sections:
        out += ["", f"# --- {section.title} ---"]
        for step in section.steps:
            if isinstance(step, Sysrc):
                target = f"-f {step.file} " if step.file else ""
                operator = "+=" if step.append else "="
                out.append(f"sysrc {target}{step.name}{operator}{sh_quote(step.value)}")
            elif isinstance(step, Command):
                out.append(step.text)
            elif isinstance(step, Note):
                out.append(f"# {step.text}".rstrip())
            elif isinstance(step, WriteFile):
                file = plan.files[step.path]
                out += _heredoc(file.path, file.content, file.mode)
    return "\n".join(out) + "\n"
