"""Local plumbing of the lab (root only): run commands, open sockets inside a namespace, find and end processes."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import re
import shlex
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path

CLONE_NEWNET = 0x40000000
NETNS_DIR = Path("/run/netns")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_libc = ctypes.CDLL(None, use_errno=True)


class LocalCommandError(RuntimeError):
    """A local command of the lab fabric failed."""


def socket_in_netns(netns: str, address: tuple[str, int], timeout: float = 5.0) -> socket.socket:
    """A TCP socket connected to ``address`` from inside ``netns``.

    The switch into the namespace happens in a short-lived thread (``setns`` changes only the calling
    thread), so this process's own namespace never gains a route towards the lab.
    """
    result: dict[str, object] = {}

    def connect() -> None:
        try:
            fd = os.open(NETNS_DIR / netns, os.O_RDONLY)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, f"setns({netns}): {os.strerror(err)}")
            finally:
                os.close(fd)
            sock = socket.create_connection(address, timeout=timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            result["sock"] = sock
        except BaseException as exc:  # handed to the caller's thread below
            result["error"] = exc

    thread = threading.Thread(target=connect, name=f"netns-connect-{netns}", daemon=True)
    thread.start()
    thread.join(timeout + 1)
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    if "sock" not in result:
        raise TimeoutError(f"connecting to {address} in {netns} timed out")
    return result["sock"]  # type: ignore[return-value]


def run(argv: Sequence[str], *, timeout: float = 30.0, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run one local command (argv, no shell) with a timeout."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise LocalCommandError(f"{shlex.join(argv)} took more than {timeout:g}s") from exc
    if check and done.returncode != 0:
        raise LocalCommandError(f"{shlex.join(argv)} exited {done.returncode}: {done.stderr.strip()[-400:]}")
    return done


async def arun(argv: Sequence[str], *, timeout: float = 30.0) -> tuple[int, str, str]:
    """Run one local command asynchronously; return (exit status, stdout, stderr)."""
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        return 124, "", f"timed out after {timeout:g}s"
    return process.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")


def list_netns(prefix: str) -> list[str]:
    """Names of the network namespaces starting with ``prefix``."""
    if not NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith(prefix))


def delete_netns(names: Sequence[str]) -> None:
    """Delete the namespaces ``names`` (missing ones are no error): one ``ip -force -batch`` for all of them.

    Names that the batch parser could misread (blanks, quotes, '#') are deleted one ``ip`` each instead.
    """
    plain = [n for n in names if _PLAIN_NAME.fullmatch(n)]
    if plain:
        batch = "".join(f"netns delete {n}\n" for n in plain)
        subprocess.run(["ip", "-force", "-batch", "-"], input=batch, capture_output=True, text=True, timeout=60)
    for name in names:
        if name not in plain:
            run(["ip", "netns", "delete", name], check=False)


def netns_inode(netns: str) -> int | None:
    """Inode identifying the namespace ``netns`` (None if it does not exist)."""
    try:
        return os.stat(NETNS_DIR / netns).st_ino
    except OSError:
        return None


def pid_netns_inode(pid: int) -> int | None:
    """Inode of the network namespace of process ``pid`` (None if it is gone)."""
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino
    except OSError:
        return None


def pids_in_netns(netns_inodes: set[int]) -> list[int]:
    """Processes living in one of the given namespaces (how leftovers of a killed ``up`` are found)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            inode = pid_netns_inode(int(entry.name))
            if inode is not None and inode in netns_inodes:
                found.append(int(entry.name))
    return sorted(found)


def stop_pids(pids: Sequence[int], *, grace: float = 2.0) -> None:
    """SIGTERM each pid, wait up to ``grace`` seconds, then SIGKILL the ones still there."""
    alive = []
    for pid in set(pids):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
            alive.append(pid)
    deadline = time.monotonic() + grace
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if _exists(p)]
        if alive:
            time.sleep(0.05)
    for pid in alive:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone; reap it.
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False
