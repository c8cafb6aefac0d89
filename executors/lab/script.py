"""The script a lab host (or the machine itself) runs: files written atomically, then commands in order, with
markers that say which command failed; and reading those markers back from its output."""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable, Sequence

from topology.render.lab import LabCommand, LabFile

BATCH_TOOLS = ("ip", "bridge")  # iproute2 programs that read many commands from one ``-batch -`` input
# Words iproute2's batch parser reads exactly as argv would: no blanks, quotes, comment signs or backslashes
# (and no '@', so that no batch line can be the here-document's end marker).
_BATCH_WORD = re.compile(r"[A-Za-z0-9_.:/%+=,-]+")

STEP_MARK = "@@jailnet-step"
RUN_MARK = "@@jailnet-run"
FILE_MARK = "@@jailnet-file"
BATCH_END = "@@jailnet-end"  # ends a batch's here-document; no batch line can be this (batch words hold no '@')
_BATCH_FAILED = re.compile(r"Command failed -:(\d+)")


def _batch_key(command: LabCommand) -> tuple[str, str | None] | None:
    """``(tool, namespace)`` when ``command`` may share an ``ip``/``bridge`` batch with its neighbours, else None.

    Only plain commands qualify: no failure allowed (a batch stops at its first failing line), no global option
    other than ``-n NAMESPACE`` (a batch has one set of options), and only words the batch parser reads as argv
    does. Anything else runs as a command of its own, exactly as written.
    """
    argv = command.argv
    if command.may_fail or not argv or argv[0] not in BATCH_TOOLS:
        return None
    netns, rest = None, argv[1:]
    if len(rest) > 2 and rest[0] == "-n":
        netns, rest = rest[1], rest[2:]
    if not rest or rest[0].startswith("-") or not all(_BATCH_WORD.fullmatch(word) for word in argv):
        return None
    return argv[0], netns


def command_groups(commands: Sequence[LabCommand]) -> list[tuple[int, int, tuple[str, str | None] | None]]:
    """Runs of ``commands`` executed together: ``(first index, end index, batch key)``, in order.

    Consecutive batchable commands of one tool and namespace form one run (one process instead of one each);
    every other command is a run of its own. Order is kept, so dependencies between commands are too.
    """
    groups: list[tuple[int, int, tuple[str, str | None] | None]] = []
    for index, command in enumerate(commands):
        key = _batch_key(command)
        if key is not None and groups and groups[-1][2] == key and groups[-1][1] == index:
            groups[-1] = (groups[-1][0], index + 1, key)
        else:
            groups.append((index, index + 1, key))
    return groups


def _file_lines(index: int, file: LabFile) -> list[str]:
    """Lines writing ``file`` atomically with the shell's own ``printf``: a temp file next to it, then ``mv``.

    The content is one quoted word (any text; ``printf '%s'`` writes it byte for byte), so writing a file costs
    no process but the ``mv`` (and a ``chmod`` only for modes with execute bits: without them the mode is set
    by the umask the file is created with).
    """
    directory, name = posixpath.split(file.path)
    tmp = posixpath.join(directory, f".{name}.jailnet-tmp")
    write = f"printf '%s' {shlex.quote(file.content)} >{shlex.quote(tmp)}"
    if file.mode & 0o111:
        write = f"{write} && chmod {file.mode:o} {shlex.quote(tmp)}"
    else:
        write = f"(umask {0o777 & ~file.mode:03o} && {write})"
    return [
        f"echo '{RUN_MARK} file {index}'",
        f"{write} && mv -f {shlex.quote(tmp)} {shlex.quote(file.path)} || {{ echo '{FILE_MARK} {index} '$?; exit 1; }}",
    ]


def command_script(commands: Sequence[LabCommand], files: Sequence[LabFile] = ()) -> str:
    """A POSIX sh script writing ``files``, then running ``commands`` in order.

    One script per host instead of one SSH channel per command (or an SFTP session for the files): a lab host
    gets dozens of commands and every channel costs an sshd session and a shell. Each file is written to a temp
    file and renamed into place (:func:`_file_lines`). A command on its own is the line ``shlex.join(argv)``,
    so no design value is ever shell syntax. A run of consecutive ``ip`` (or ``bridge``) commands in one
    namespace (see :func:`command_groups`) becomes one ``ip [-n NS] -batch -`` reading them from a quoted
    here-document: every fork and exec costs, and a host has dozens of such commands.

    Each run is announced with ``@@jailnet-run <first index>``; a failed one prints ``@@jailnet-step <first
    index> <status> <may_fail>`` (a failed batch line is located by iproute2's ``Command failed -:<line>``);
    a file that cannot be written prints ``@@jailnet-file <index> <status>``. The script stops at the first
    failure that may not fail.
    """
    lines = ["exec 2>&1"]  # one ordered stream: a failure's message sits between its two markers
    for index, file in enumerate(files):
        lines += _file_lines(index, file)
    for first, end, key in command_groups(commands):
        may_fail = int(commands[first].may_fail)
        stop = "" if commands[first].may_fail else " exit 1;"
        lines.append(f"echo '{RUN_MARK} {first}'")
        on_failure = f"|| {{ echo '{STEP_MARK} {first} '$?' {may_fail}';{stop} }}"
        if key is None or end - first == 1:
            lines.append(f"{shlex.join(commands[first].argv)} {on_failure}")
            continue
        tool, netns = key
        skip = 3 if netns else 1  # the tool and its -n option are the batch's own argv
        batch = shlex.join([tool, *(["-n", netns] if netns else []), "-batch", "-"])
        lines.append(f"{batch} <<'{BATCH_END}' {on_failure}")
        lines += [" ".join(commands[i].argv[skip:]) for i in range(first, end)]
        lines.append(BATCH_END)
    return "\n".join(lines) + "\n"


def script_failures(
    commands: Sequence[LabCommand], output: str, where: str, files: Sequence[LabFile] = ()
) -> tuple[list[str], str | None]:
    """(warnings, fatal error) from the output of :func:`command_script`."""
    warnings, fatal = [], None
    current: list[str] = []
    for line in output.splitlines():
        if line.startswith(RUN_MARK):
            current = []
        elif line.startswith(FILE_MARK):
            _, file_index, status = line.split()
            message = " ".join(current[-3:]).strip()
            fatal = f"{where}: writing {files[int(file_index)].path} failed ({status}): {message}".rstrip(": ")
        elif line.startswith(STEP_MARK):
            _, first, status, may_fail = line.split()
            index = int(first)
            failed_line = next((m for m in map(_BATCH_FAILED.fullmatch, current) if m), None)
            if failed_line is not None:  # a batch: the line that failed, and the message before it
                index += int(failed_line.group(1)) - 1
                current = current[: current.index(failed_line.group(0))]
            argv = " ".join(commands[index].argv)
            message = f"{where}: {argv} exited {status}: {' '.join(current[-3:]).strip()}".rstrip()
            if may_fail == "1":
                warnings.append(message)
            else:
                fatal = message
        else:
            current.append(line)
    return warnings, fatal


def script_log_reader(commands: Sequence[LabCommand], files: Sequence[LabFile] = ()) -> Callable[[str], str]:
    """A function turning a line of :func:`command_script`'s output into the line a person reads in a job's log.

    The markers are for :func:`script_failures`; in the log they say what runs (``$ ip -n ns link set lo up``,
    ``write /etc/hosts``) and what failed, instead of ``@@jailnet-run 3``. Other lines are kept as they are.
    """
    batch_size = {first: end - first for first, end, _key in command_groups(commands)}

    def readable(line: str) -> str:
        words = line.split()
        try:
            if words[:1] == [RUN_MARK] and words[1:2] == ["file"]:
                return f"write {files[int(words[2])].path}"
            if words[:1] == [RUN_MARK]:
                first = int(words[1])
                more = batch_size.get(first, 1) - 1
                return f"$ {shlex.join(commands[first].argv)}" + (f" (+{more} more in one batch)" if more else "")
            if words[:1] == [STEP_MARK]:
                allowed = " (allowed to fail)" if words[3] == "1" else ""
                return f"failed: exit status {words[2]}{allowed}"
            if words[:1] == [FILE_MARK]:
                return f"writing {files[int(words[1])].path} failed: exit status {words[2]}"
        except (IndexError, ValueError):
            pass  # not a marker this script printed: shown as it is
        return line

    return readable
