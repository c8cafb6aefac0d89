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
_PUNCT = str.maketrans({".": "_", "-": "_", "/": "_", "+": "_"})

# The one rc.conf file jailnet owns: the script's sysrc lines and the deploy write the same file, read by
# rc(8) after /etc/rc.conf (rc.conf(5) rc_conf_files), so an administrator's own rc.conf stays theirs.
RC_FILE = "/etc/rc.conf.local"
NAME_MAX, PATH_MAX = 255, 1024  # sys/syslimits.h

# Characters that need no quoting in sh (the set Python's shlex.quote leaves bare).
_SHELL_SAFE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")
# sysrc writes a value raw between double quotes (sysrc.subr f_sysrc_set: echo "$varname=\"$new_value\""),
# and rc(8) sources the file: a value must not contain what sh interprets inside double quotes, a quote of
# either kind, or a control character (a newline would end the assignment).
_RC_UNSAFE = re.compile(r"[\x00-\x1f\x7f\"'$`\\]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_RC_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A word written into a configuration file (pf.conf, dnsmasq.conf, jail.conf, pot.conf, vm-bhyve's
# files): no white space, quote, shell metacharacter or control character, so it cannot end the line
# or the quoted string it is written into, nor add a directive.
_CONF_WORD = re.compile(r"[A-Za-z0-9_@%+=:,./|!-]+")


class UnsafeValueError(ValueError):
    """A value the renderer cannot write safely. Validation refuses such values first (JN117); this is
    the renderer's own second line of defence, so a design that bypassed validation still cannot inject."""


def _excerpt(value: str) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "...'"


def q(value: object) -> str:
    """One shell word for ``value``: bare when it needs no quoting, else in single quotes (``'\''`` for a ').

    A value starting with ``-`` would be read as an option whatever its quoting, sh cannot carry NUL, and a
    line break inside an argument only makes the script misleading to read: all are refused.
    """
    text = str(value)
    if text.startswith("-") or _CONTROL.search(text):
        raise UnsafeValueError(f"{_excerpt(text)} cannot be passed safely as a command argument")
    if _SHELL_SAFE.fullmatch(text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"


class Flag(str):
    """An option the renderer itself writes (``-interface``, ``-r``): passed bare, never a design value."""

    __slots__ = ()


_FLAG = re.compile(r"-[A-Za-z0-9][A-Za-z0-9-]*")


def command_line(*argv: object) -> str:
    """A command line from its arguments, each quoted as one shell word: ``command_line("zfs", "create", ds)``.

    The command name and :class:`Flag` arguments are the renderer's own words; every other argument is a
    value and goes through :func:`q`.
    """
    words = []
    for index, arg in enumerate(argv):
        if isinstance(arg, Flag):
            if not _FLAG.fullmatch(arg):
                raise UnsafeValueError(f"{_excerpt(arg)} is not an option")
            words.append(str(arg))
        else:
            words.append(str(arg) if index == 0 else q(arg))
    return " ".join(words)


def value_words(value: str) -> list[object]:
    """The words of a value the renderer composed (``10.0.0.0/24 -interface em0``), its own options as flags."""
    return [Flag(word) if word in _OWN_OPTIONS else word for word in value.split()]


# options the renderer writes inside composed rc.conf values (route_<name>, ifconfig_<if>)
_OWN_OPTIONS = frozenset({"-interface"})


def rc_value(value: str) -> str:
    """``value`` checked for rc.conf (written raw by sysrc, sourced by sh); returned unchanged."""
    if _RC_UNSAFE.search(value):
        raise UnsafeValueError(f"{_excerpt(value)} cannot be written into rc.conf safely")
    return value


def conf_word(value: object) -> str:
    """``value`` checked as one word of a configuration file; returned unchanged."""
    text = str(value)
    if not _CONF_WORD.fullmatch(text) or text.startswith("-"):
        raise UnsafeValueError(f"{_excerpt(text)} cannot be written into a configuration file safely")
    return text


def comment_lines(text: str) -> list[str]:
    """``text`` as ``#`` comment lines (sh, rc.conf, pf.conf, dnsmasq.conf, jail.conf): every line break in it
    starts a new ``#`` line, so no value in a comment can end the comment and become a command or directive."""
    return [f"# {line}".rstrip() for line in (text.splitlines() or [""])]


def managed_path(path: str) -> str:
    """``path`` checked as the absolute path of a managed file: plain words, no ``..``, no empty component."""
    parts = path.split("/")
    if (
        not path.startswith("/")
        or any(p in ("", ".", "..") or len(p) > NAME_MAX for p in parts[1:])
        or len(path) >= PATH_MAX
        or not _CONF_WORD.fullmatch(path)
    ):
        raise UnsafeValueError(f"{_excerpt(path)} is not a safe path for a managed file")
    return path


def rc_name(interface: str) -> str:
    """An interface or route name as rc.conf spells it in variable names (network.subr's get_if_var).

    ``em0.101`` -> ``em0_101``: the characters ``. - / +`` become ``_``.
    """
    return interface.translate(_PUNCT)


def sh_quote(value: str) -> str:
    """``value`` in double quotes for an rc.conf assignment (checked by :func:`rc_value` first)."""
    return '"' + rc_value(value) + '"'


@dataclass(frozen=True, slots=True)
class Sysrc:
    """``sysrc name="value"`` (or ``name+="value"`` to append to a list), optionally into another file."""

    name: str
    value: str
    append: bool = False  # a list: the value so far, after the list rc.conf already has (``${name} words``)
    file: str = RC_FILE  # sysrc -f FILE (vm-bhyve guest configuration); default: jailnet's rc.conf.local


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
        """Set (or add words to) an rc.conf variable: a script step and the managed rc.conf value.

        A list (``append``) is written as the words after whatever list ``/etc/rc.conf`` already has, and
        the step carries every word added so far, because sysrc replaces the file's one assignment.
        """
        self.plan.set_rc_var(name, value, append=append)
        self.steps.append(Sysrc(name, self.plan.rc_vars[name], append))

    def sysrc_file(self, path: str, name: str, value: str) -> None:
        """Set a variable in another rc-style file with ``sysrc -f`` (not part of the managed rc.conf)."""
        self.steps.append(Sysrc(_checked_rc_name(name), rc_value(value), False, path))

    def enable(self, service: str) -> None:
        """The service's rc.conf enable variable becomes YES (in jailnet's rc.conf file, like every value)."""
        self.sysrc(_RCVAR.get(service, f"{service}_enable"), "YES")

    def run(self, text: str) -> None:
        """A command line to type, written by the caller (every value in it passed through :func:`q`)."""
        self.steps.append(Command(text))

    def cmd(self, *argv: object) -> None:
        """A command from its arguments, each one quoted as one shell word (see :func:`command_line`)."""
        self.steps.append(Command(command_line(*argv)))

    def note(self, text: str) -> None:
        """A comment for the reader of the script."""
        self.steps.append(Note(text))

    def file(self, path: str, content: str, mode: str = "0644") -> None:
        """Write a managed file here (the deploy pushes the same content)."""
        self.plan.files[path] = ManagedFile(managed_path(path), content, mode)
        self.steps.append(WriteFile(path))

    def managed(self, path: str, content: str, note: str, mode: str = "0644") -> None:
        """A managed file the commands of this section produce themselves; the script only mentions it."""
        self.plan.files[path] = ManagedFile(managed_path(path), content, mode)
        self.steps.append(Note(f"{note} ({path}, also a managed file)"))


@dataclass
class HostPlan:
    """Everything the FreeBSD renderer decided for one host, before it is printed."""

    host: str
    design: str
    rc_vars: dict[str, str] = field(default_factory=dict)  # final values, in first-set order
    rc_lists: set[str] = field(default_factory=set)  # variables that add words to rc.conf's list
    sections: list[Section] = field(default_factory=list)
    files: dict[str, ManagedFile] = field(default_factory=dict)

    def section(self, title: str) -> Section:
        """Start a new script section."""
        section = Section(self, title)
        self.sections.append(section)
        return section

    def set_rc_var(self, name: str, value: str, *, append: bool = False) -> None:
        """Record an rc.conf value; appending adds the space-separated words not yet in the list."""
        _checked_rc_name(name)
        rc_value(value)
        if append:
            self.rc_lists.add(name)
        if append and self.rc_vars.get(name):
            words = self.rc_vars[name].split()
            words += [w for w in value.split() if w not in words]
            self.rc_vars[name] = " ".join(words)
        else:
            self.rc_vars[name] = value


def _checked_rc_name(name: str) -> str:
    if not _RC_NAME.fullmatch(name):
        raise UnsafeValueError(f"{_excerpt(name)} is not an rc.conf variable name")
    return name


def rc_assignment(name: str, value: str, *, append: bool) -> str:
    """The text of one rc.conf assignment; a list adds its words to the list rc.conf already has."""
    if append:
        return f'{name}="${{{name}}} {rc_value(value)}"'
    return f"{name}={sh_quote(value)}"
