"""A host's commands run as one script: argv quoting kept, failures located (pure, no root)."""

from __future__ import annotations

import subprocess

from executors.lab.lifecycle import command_script, script_failures
from topology.render.lab import LabCommand, LabFile

COMMANDS = [
    LabCommand(("echo", "a b; touch /nonexistent/x", "$HOME")),
    LabCommand(("false",), may_fail=True),
    LabCommand(("sh", "-c", "echo boom >&2; exit 7")),
    LabCommand(("echo", "never")),
]


def test_script_quotes_every_word_and_stops_at_the_first_real_failure():
    done = subprocess.run(["sh", "-s"], input=command_script(COMMANDS), capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "a b; touch /nonexistent/x $HOME" in done.stdout
    assert "never" not in done.stdout
    warnings, fatal = script_failures(COMMANDS, done.stdout, "host")
    assert warnings == ["host: false exited 1:"]
    assert fatal is not None and fatal.startswith("host: sh -c echo boom >&2; exit 7 exited 7: boom")


def test_consecutive_ip_commands_of_one_namespace_become_one_batch(tmp_path):  # type: ignore[no-untyped-def]
    commands = [
        LabCommand(("ip", "-n", "ns1", "link", "set", "lo", "up")),
        LabCommand(("ip", "-n", "ns1", "link", "set", "nosuch", "up")),
        LabCommand(("ip", "-n", "ns1", "addr", "add", "10.0.0.1/24", "dev", "eth0")),
        LabCommand(("ip", "route", "replace", "default", "via", "10.0.0.254"), may_fail=True),  # on its own
        LabCommand(("ip", "link", "set", "a b", "up")),  # a word the batch parser would split: on its own
    ]
    script = command_script(commands)
    assert script.count("-batch") == 1 and "ip -n ns1 -batch - <<'@@jailnet-end'" in script
    assert "ip link set 'a b' up" in script
    # A stand-in for iproute2: reads the batch, fails on its second line the way `ip -batch` reports it.
    fake = tmp_path / "ip"
    fake.write_text('#!/bin/sh\nn=0\nwhile read -r line; do n=$((n+1)); case "$line" in *nosuch*) '
                    'echo "Cannot find device \\"nosuch\\"" >&2; echo "Command failed -:$n" >&2; exit 1;; esac; '
                    'done\n')  # fmt: skip
    fake.chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin"}
    done = subprocess.run(["sh", "-s"], input=script, capture_output=True, text=True, check=False, env=env)
    assert done.returncode == 1  # stopped at the batch: nothing after it ran
    warnings, fatal = script_failures(commands, done.stdout, "host")
    assert warnings == []
    assert fatal == 'host: ip -n ns1 link set nosuch up exited 1: Cannot find device "nosuch"'


def test_files_are_written_byte_for_byte_with_their_modes_before_the_commands(tmp_path):  # type: ignore[no-untyped-def]
    awkward = 'it\'s "quoted" $HOME `date` \\ %s\n-n\n\n@@jailnet-end\n'  # shell and printf syntax, kept as text
    files = [
        LabFile(str(tmp_path / "conf.nft"), awkward),
        LabFile(str(tmp_path / "secret"), "s\n", 0o600),
        LabFile(str(tmp_path / "hook.sh"), "#!/bin/sh\necho hooked\n", 0o755),
    ]
    commands = [LabCommand((str(tmp_path / "hook.sh"),))]  # runs after the files are in place
    done = subprocess.run(["sh", "-s"], input=command_script(commands, files), capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout
    assert "hooked" in done.stdout
    assert (tmp_path / "conf.nft").read_text() == awkward
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in tmp_path.iterdir()}
    assert modes == {"conf.nft": "0o644", "secret": "0o600", "hook.sh": "0o755"}  # and no temp file is left


def test_a_file_that_cannot_be_written_stops_the_script_with_its_path(tmp_path):  # type: ignore[no-untyped-def]
    files = [LabFile(str(tmp_path / "missing-dir" / "x.conf"), "x\n")]
    commands = [LabCommand(("echo", "never"))]
    done = subprocess.run(["sh", "-s"], input=command_script(commands, files), capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert done.returncode == 1 and "never" not in done.stdout
    warnings, fatal = script_failures(commands, done.stdout, "host", files)
    assert warnings == []
    assert fatal is not None and fatal.startswith(f"host: writing {tmp_path}/missing-dir/x.conf failed (")
    assert "cannot create" in fatal or "No such file" in fatal  # the shell's own message (dash, bash)


def test_the_job_log_reads_what_runs_and_what_failed_not_the_markers(tmp_path):  # type: ignore[no-untyped-def]
    # What an operator watching a lab job sees: the commands and files, not "@@jailnet-run 3" (smoke test finding).
    from executors.lab.script import script_log_reader

    files = [LabFile(str(tmp_path / "conf"), "x=1\n", 0o644)]
    commands = [
        LabCommand(("echo", "hello")),
        LabCommand(("false",), may_fail=True),
        LabCommand(("sh", "-c", "exit 7")),
    ]
    done = subprocess.run(["sh", "-s"], input=command_script(commands, files), capture_output=True, text=True,
                          check=False)  # fmt: skip
    readable = script_log_reader(commands, files)
    shown = [readable(line) for line in done.stdout.splitlines()]
    assert shown == [
        f"write {tmp_path / 'conf'}",
        "$ echo hello",
        "hello",
        "$ false",
        "failed: exit status 1 (allowed to fail)",
        "$ sh -c 'exit 7'",
        "failed: exit status 7",
    ]
    assert readable("@@jailnet-run nonsense") == "@@jailnet-run nonsense"  # not ours: kept as it is


def test_a_batch_shows_its_first_command_and_how_many_more_it_holds():
    from executors.lab.script import script_log_reader

    commands = [LabCommand(("ip", "-n", "ns1", "link", "set", "lo", "up")),
                LabCommand(("ip", "-n", "ns1", "link", "set", "eth0", "up"))]  # fmt: skip
    assert script_log_reader(commands)("@@jailnet-run 0") == "$ ip -n ns1 link set lo up (+1 more in one batch)"
