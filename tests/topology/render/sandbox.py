"""Run a rendered operator script for real, under dash, with every FreeBSD command replaced by a stub.

The script runs chrooted (in a user namespace, so no host file can be touched) in a directory that holds
only dash, the C library and the stubs. Each stub appends its argv to ``/argv.log`` (fields separated by
0x1f, records by 0x1e, so arguments with newlines survive); ``cat`` copies its input, so heredocs write
their files. Anything else the script tries to run is "not found", and every file it creates is in the
sandbox for the test to look at.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

UNSHARE = shutil.which("unshare") or "/usr/bin/unshare"
CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"
DASH = shutil.which("dash") or "/usr/bin/dash"

# Every command a rendered script may run. A script that runs anything else fails with "not found".
STUBBED = [
    *("sysrc", "ifconfig", "service", "iocage", "pot", "vm", "zfs", "jail", "jls", "pfctl", "route", "sysctl"),
    *("kldload", "pkg", "mount", "grep", "fetch", "tar", "mkdir", "chmod", "dhclient", "devfs"),
]

_STUB = """#!/bin/sh
printf '%s' "${0##*/}" >> /argv.log
for arg in "$@"; do printf '\\037%s' "$arg" >> /argv.log; done
printf '\\036' >> /argv.log
"""
# cat: record the call and copy standard input, so `cat > FILE <<'EOF'` writes FILE
_CAT = (
    _STUB
    + """while IFS= read -r line || [ -n "$line" ]; do printf '%s\\n' "$line"; done
"""
)


@dataclass
class Run:
    """What one script run did: the commands (argv lists), stderr, exit status and the files it created."""

    argv: list[list[str]]
    stderr: str
    returncode: int
    files: dict[str, str]  # absolute path inside the sandbox -> content


def _libraries(binary: str) -> list[str]:
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    paths = []
    for line in out.splitlines():
        words = line.split()
        for word in words:
            if word.startswith("/"):
                paths.append(word)
    return paths


def run_script(script: str, *, directories: Iterable[str] = (), timeout: float = 20.0) -> Run:
    """Run ``script`` in a fresh sandbox holding ``directories`` (empty); bounded by ``timeout`` seconds."""
    with tempfile.TemporaryDirectory(prefix="jailnet-sandbox-") as tmp:
        root = Path(tmp)
        for path in [DASH, *_libraries(DASH)]:
            target = root / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        (root / "bin").mkdir(exist_ok=True)
        shutil.copy2(DASH, root / "bin" / "sh")
        stub_dir = root / "stub"
        stub_dir.mkdir()
        for name in STUBBED:
            (stub_dir / name).write_text(_STUB)
            (stub_dir / name).chmod(0o755)
        (stub_dir / "cat").write_text(_CAT)
        (stub_dir / "cat").chmod(0o755)
        (root / "script.sh").write_text(script)
        (root / "argv.log").write_text("")
        (root / "dev").mkdir()
        (root / "dev" / "null").write_text("")  # a plain file will do for >/dev/null
        for directory in directories:
            (root / directory.lstrip("/")).mkdir(parents=True, exist_ok=True)
        before = {p for p in root.rglob("*")}
        proc = subprocess.run(
            [UNSHARE, "-r", CHROOT, str(root), "/bin/sh", "/script.sh"],
            env={"PATH": "/stub", "HOME": "/", "LC_ALL": "C"},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        log = (root / "argv.log").read_text()
        argv = [record.split("\x1f") for record in log.split("\x1e") if record]
        files: dict[str, str] = {}
        for created in sorted(set(root.rglob("*")) - before):
            if created.is_file() or created.is_symlink():
                text = created.read_text(errors="replace") if created.is_file() else ""
                files["/" + str(created.relative_to(root))] = text
        return Run(argv=argv, stderr=proc.stderr, returncode=proc.returncode, files=files)


def sandbox_available() -> bool:
    """Whether user namespaces, chroot and dash are there to run scripts in a sandbox."""
    if not (os.path.exists(UNSHARE) and os.path.exists(CHROOT) and os.path.exists(DASH)):
        return False
    probe = subprocess.run([UNSHARE, "-r", "true"], capture_output=True)
    return probe.returncode == 0
