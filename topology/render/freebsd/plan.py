"""The one intermediate model of a host: rc.conf variables, ordered script sections and managed files.

Every concern module (network, firewall, vm-bhyve, jails) writes into a :class:`HostPlan` through its
:class:`Section` helpers. A ``sysrc`` step also records the variable's final value, and a file step
stores the file's content, so the operator script (:mod:`.script`) and the managed files
(:mod:`.files`) are two views of the same plan and cannot disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..types import ManagedFile

# rc.d scripts whose enable variable is not <name>_enable
_RCVAR = {"ipfw": "firewall_enable"}
_UNSAFE_IN_DOUBLE_QUOTES = re.compile(r'(["$`\\])')
_PUNCT = str.maketrans({".": "_", "-": "_", "/": "_", "+": "_"})


def rc_name(interface: str) -> str:
    """An interface or route name as rc.conf spells it in variable names (network.subr's get_if_var).

    ``em0.101`` -> ``em0_101``: the characters ``. - / +`` become ``_``.
    """
    return interface.translate(_PUNCT)


def sh_quote(value: str) -> str:
    """``value`` in double quotes, safe for sh and for rc.conf (which is sourced by sh)."""
    return '"' + _UNSAFE_IN_DOUBLE_QUOTES.sub(r"\\\1", value) + '"'


@dataclass(frozen=True, slots=True)
class Sysrc:
    """``sysrc name="value"`` (or ``name+="value"`` to append to a list), optionally into another file."""

    name: str
    value: str
    append: bool = False
    file: str | None = None  # sysrc -f FILE (vm-bhyve guest configuration); None: rc.conf


@dataclass(frozen=True, slots=True)
class Command:
    """A shell command line, typed as is."""

    text: str


@dataclass(frozen=True, slots=True)
class Note:
    """A comment line in the script (why, or what to do by hand)."""

    text: str


@dataclass(frozen=True, slots=True)
class WriteFile:
    """Write a managed file of the plan (shown as a ``cat > FILE <<'EOF'`` heredoc in the script)."""

    path: str


Step = Sysrc | Command | Note | WriteFile


@dataclass
class Section:
    """A titled group of steps in the script, in the order an admin would type them."""

    plan: HostPlan
    title: str
    steps: list[Step] = field(default_factory=list)

    def sysrc(self, name: str, value: str, *, append: bool = False) -> None:
        """Set (or append to) an rc.conf variable: a script step and the managed rc.conf value."""
        self.plan.set_rc_var(name, value, append=append)
        self.steps.append(Sysrc(name, value, append))

    def sysrc_file(self, path: str, name: str, value: str) -> None:
        """Set a variable in another rc-style file with ``sysrc -f`` (not part of the managed rc.conf)."""
        self.steps.append(Sysrc(name, value, False, path))

    def enable(self, service: str) -> None:
        """``service NAME enable``: the rc.conf enable variable becomes YES."""
        self.plan.set_rc_var(_RCVAR.get(service, f"{service}_enable"), "YES")
        self.steps.append(Command(f"service {service} enable"))

    def run(self, text: str) -> None:
        """A command to type."""
        self.steps.append(Command(text))

    def note(self, text: str) -> None:
        """A comment for the reader of the script."""
        self.steps.append(Note(text))

    def file(self, path: str, content: str, mode: str = "0644") -> None:
        """Write a managed file here (the deploy pushes the same content)."""
        self.plan.files[path] = ManagedFile(path, content, mode)
        self.steps.append(WriteFile(path))

    def managed(self, path: str, content: str, note: str, mode: str = "0644") -> None:
        """A managed file the commands of this section produce themselves; the script only mentions it."""
        self.plan.files[path] = ManagedFile(path, content, mode)
        self.steps.append(Note(f"{note} ({path}, also a managed file)"))


@dataclass
class HostPlan:
    """Everything the FreeBSD renderer decided for one host, before it is printed."""

    host: str
    design: str
    rc_vars: dict[str, str] = field(default_factory=dict)  # final values, in first-set order
    sections: list[Section] = field(default_factory=list)
    files: dict[str, ManagedFile] = field(default_factory=dict)

    def section(self, title: str) -> Section:
        """Start a new script section."""
        section = Section(self, title)
        self.sections.append(section)
        return section

    def set_rc_var(self, name: str, value: str, *, append: bool = False) -> None:
        """Record an rc.conf value; appending adds the space-separated words not yet in the list."""
        if append and self.rc_vars.get(name):
            words = self.rc_vars[name].split()
            words += [w for w in value.split() if w not in words]
            self.rc_vars[name] = " ".join(words)
        else:
            self.rc_vars[name] = value
