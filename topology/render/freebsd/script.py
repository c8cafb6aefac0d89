"""The operator script: the plan printed as the commands an admin would type, section by section."""

from __future__ import annotations

from .plan import Command, HostPlan, Note, Sysrc, WriteFile, comment_lines, q, rc_assignment, rc_value


def _heredoc(path: str, content: str, mode: str) -> list[str]:
    delimiter = "EOF"
    while f"\n{delimiter}\n" in f"\n{content}\n":
        delimiter = f"JAILNET_{delimiter}"
    lines = [f"cat > {q(path)} <<'{delimiter}'", content.rstrip("\n"), delimiter]
    if mode != "0644":
        lines.append(f"chmod {q(mode)} {q(path)}")
    return lines


def _sysrc(step: Sysrc) -> str:
    """``sysrc -f FILE name="value"``; a list in single quotes, so ``${name}`` reaches the file unexpanded."""
    if step.append:
        return f"sysrc -f {q(step.file)} '{step.name}=${{{step.name}}} {rc_value(step.value)}'"
    return f"sysrc -f {q(step.file)} {rc_assignment(step.name, step.value, append=False)}"


def render_script(plan: HostPlan, banner: tuple[str, ...] = ()) -> str:
    """The shell script for one host: sysrc lines, commands and file heredocs, commented by section.

    ``banner``: comment lines put right after the shebang (a forced render says so there).
    """
    managed = sorted([*plan.files, *(["/etc/rc.conf.local"] if plan.rc_vars else [])])
    out = [
        "#!/bin/sh",
        *(line for text in banner for line in comment_lines(text)),
        # lists are written as 'name=${name} words' for sysrc: the ${...} is for rc.conf, not for this shell
        "# shellcheck disable=SC2016",
        *comment_lines(f"jailnet: host {plan.host} of design {plan.design}"),
        "# The commands an admin would type, in order. A deploy pushes the same values as managed files:",
        *(line for path in managed for line in comment_lines(f"  {path}")),
    ]
    for section in plan.sections:
        out += ["", *comment_lines(f"--- {section.title} ---")]
        for step in section.steps:
            if isinstance(step, Sysrc):
                out.append(_sysrc(step))
            elif isinstance(step, Command):
                out.append(step.text)
            elif isinstance(step, Note):
                out += comment_lines(step.text)
            elif isinstance(step, WriteFile):
                file = plan.files[step.path]
                out += _heredoc(file.path, file.content, file.mode)
    return "\n".join(out) + "\n"
