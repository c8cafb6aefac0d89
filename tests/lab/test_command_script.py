"""A host's commands run as one script: argv quoting kept, failures located (pure, no root)."""

from __future__ import annotations

import subprocess

from executors.lab.lifecycle import command_script, script_failures
from topology.render.lab import LabCommand

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
