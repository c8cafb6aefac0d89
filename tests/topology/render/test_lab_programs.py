"""The programs the lab ships to its hosts, run as the lab runs them (``python3 -I -S``, ``sh``).

The helper's listener runs here in the test's own network namespace on the loopback address (NETNS ``.``);
the lab's tests (``tests/lab``) run it across the lab's namespaces.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.perf.synthetic import synthetic_design
from topology.render.lab import render_lab
from topology.render.lab.helper import HELPER_SOURCE, UDHCPC_SCRIPT
from topology.render.lab.programs import lab_helper

PROGRAMS = Path(lab_helper.__file__).parent
HELPER = PROGRAMS / "lab_helper.py"


def run_helper(*args: str, timeout: float = 10) -> subprocess.CompletedProcess[str]:
    """The helper as the lab starts it: the system Python, isolated, without site packages."""
    return subprocess.run(
        ["python3", "-I", "-S", str(HELPER), *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_lab_ships_the_helper_module_and_the_dhcp_script_byte_for_byte() -> None:
    assert HELPER.read_text() == HELPER_SOURCE
    assert (PROGRAMS / "udhcpc-script.sh").read_text() == UDHCPC_SCRIPT
    plan = render_lab(synthetic_design(hosts=2, segments=1), state_dir="/var/lab/x")
    assert [f.content for f in plan.listener_files if f.path.endswith("/helper.py")] == [HELPER_SOURCE]


def test_a_spec_keeps_commas_in_its_banner() -> None:
    assert lab_helper.parse_spec("lab-h1,10.0.0.2:8080,jail a, b") == ("lab-h1", "10.0.0.2", 8080, b"jail a, b\n")


def test_connect_fails_with_the_reason_when_nothing_listens() -> None:
    result = run_helper("connect", "--timeout", "2", "127.0.0.1", str(free_port()))
    assert result.returncode == 1
    assert "connect 127.0.0.1:" in result.stderr and "refused" in result.stderr.lower()


def test_listener_daemon_answers_each_connection_with_its_banner(tmp_path: Path) -> None:
    first, second = free_port(), free_port()
    pidfile = tmp_path / "listener.pid"
    spec_file = tmp_path / "specs.txt"
    spec_file.write_text(f".,127.0.0.1:{second},from the spec file\n")
    started = run_helper(
        "listen", "--pidfile", str(pidfile), "--spec-file", str(spec_file), f".,127.0.0.1:{first},host-a"
    )
    assert started.returncode == 0, started.stderr  # the daemon detached; the command returned
    deadline = time.monotonic() + 10
    while not pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    pid = int(pidfile.read_text())
    try:
        for port, banner in ((first, "host-a"), (second, "from the spec file"), (first, "host-a")):
            result = run_helper("connect", "--timeout", "2", "127.0.0.1", str(port))
            assert (result.returncode, result.stdout.strip()) == (0, banner), result.stderr
    finally:
        os.kill(pid, signal.SIGTERM)


def test_dhcp_event_script_is_portable_sh() -> None:
    script = PROGRAMS / "udhcpc-script.sh"
    subprocess.run(["shellcheck", "-s", "sh", str(script)], check=True)
    subprocess.run(["dash", "-n", str(script)], check=True)
