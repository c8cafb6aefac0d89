"""The SSH transport: the one way the product talks to a host.

* Authentication by private key or password; the caller passes plain values (:class:`SshTarget`), so the lab
  can use the transport without database rows (:func:`target_for_managed_host` builds one from inventory).
* Host keys are pinned through a :class:`~executors.ssh.hostkeys.HostKeyStore`: the first key seen is
  recorded, a different key later is refused with :class:`HostKeyChangedError` before any credential is sent.
* Connections are bounded overall and per target (semaphores held while a connection is open).
* Commands are argv lists joined with :func:`shlex.join`: a user's string is always one quoted word, never
  shell syntax. Output is consumed as a stream of ``(stream, line)`` pairs, then the exit status.
* Uploads are atomic on the host: a temp file in the same directory, fsync, hard-link backup of what is
  replaced, then ``posix-rename`` over the target.

Everything has an explicit timeout. A transport instance belongs to one event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import posixpath
import re
import secrets
import shlex
import socket
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncssh

from core.secret_scrub import remember_secret, scrub

from .hostkeys import HostKeyStore

# asyncssh logs every channel at INFO: thousands of lines per lab check. Our errors carry what matters.
logging.getLogger("asyncssh").setLevel(logging.WARNING)

DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_COMMAND_TIMEOUT = 120.0


class SshError(Exception):
    """Any failure of the transport, with a message fit for an operator (known secrets masked in it)."""

    def __init__(self, *args: object) -> None:
        super().__init__(*(scrub(a) if isinstance(a, str) else a for a in args))


class HostKeyChangedError(SshError):
    """The host offered a key other than the pinned one: possibly an impostor, never connect silently."""


class HostKeyNotConfirmedError(SshError):
    """No key is pinned for the host and its store does not trust on first use: an operator confirms first."""


class SshTimeout(SshError):
    """A connection or command did not finish in time."""


class UnsafeCommand(SshError):
    """An argv element the login shell on the host could read otherwise than as one word (see
    :func:`command_line`); nothing was sent."""


# A newline ends a csh command even inside quotes, and csh's history expansion ('!') works inside single quotes:
# refused in every element, so that the quoted line means the same argv to sh, csh and the lab's Linux shells.
_UNSAFE_IN_ARGV = re.compile(r"[\x00-\x1f\x7f!]")


def command_line(argv: Sequence[str]) -> str:
    """The command line an exec request carries for ``argv``: each element one single-quoted word.

    sshd hands the line to the user's login shell (root's is csh before FreeBSD 14): elements holding a control
    character or '!' are refused with :class:`UnsafeCommand` (what ``executors.diagnostics.params.remote_command``
    refuses for a diagnostic's parameters, here for every command the transport runs).
    """
    if not argv:
        raise UnsafeCommand("refusing to run an empty command")
    for element in argv:
        if not isinstance(element, str) or _UNSAFE_IN_ARGV.search(element):
            raise UnsafeCommand(f"refusing to run a command with the argument {element!r}: control character or '!'")
    return shlex.join(argv)


class CommandFailed(SshError):
    """A command run with ``check=True`` exited non-zero."""

    def __init__(self, result: CommandResult):
        super().__init__(
            f"{shlex.join(result.argv)} exited {result.exit_status}: {(result.stderr or result.stdout).strip()[-500:]}"
        )
        self.result = result


@dataclass(frozen=True)
class SshTarget:
    """How to reach one host. ``target_id`` keys the pinned host key (default ``host:port``).

    ``sock_factory`` opens an already connected socket (the lab opens it inside a network namespace, so no
    route in this machine's own namespace is needed); without it the transport connects to ``host:port``.
    """

    host: str
    port: int = 22
    username: str = "root"
    # repr=False: a target printed in a log line or a traceback must not show its secret.
    private_key: str | None = field(default=None, repr=False)  # OpenSSH/PEM private key text
    password: str | None = field(default=None, repr=False)
    target_id: str | None = None
    sock_factory: Callable[[], socket.socket] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # What a host prints or an error quotes is masked wherever this process writes it (core.secret_scrub).
        remember_secret(self.private_key)
        remember_secret(self.password)

    @property
    def key_id(self) -> str:
        """The id the host key is pinned under."""
        return self.target_id or f"{self.host}:{self.port}"


class _KeyRecordingClient(asyncssh.SSHClient):
    """Keeps the host key a server offered when it is not the pinned one, so that the operator can be shown
    the fingerprint the host now presents (asyncssh asks this only for keys outside the trusted set)."""

    def __init__(self, seen: list[asyncssh.SSHKey]) -> None:
        self._seen = seen

    def validate_host_public_key(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        self._seen.append(key)
        return False


@dataclass(frozen=True)
class CommandResult:
    """What a finished command printed and how it exited."""

    argv: tuple[str, ...]
    exit_status: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        """Exit status 0."""
        return self.exit_status == 0


@dataclass(frozen=True)
class UploadResult:
    """Where a file was written and where the replaced file was kept (None: there was none)."""

    path: str
    backup_path: str | None


def target_for_managed_host(host: Any) -> SshTarget:
    """An :class:`SshTarget` for an ``inventory.ManagedHost`` (its credential decrypted here, nowhere else)."""
    credential = host.credential
    secret = credential.get_secret() if credential else None
    is_key = credential is not None and credential.kind == "private-key"
    return SshTarget(
        host=host.management_address,
        port=host.ssh_port,
        username=credential.username if credential else "root",
        private_key=secret if is_key else None,
        password=None if is_key else secret,
        target_id=host.name,
    )


class SshTransport:
    """Opens bounded, host-key-pinned SSH connections. Use ``async with transport.connect(target) as session``."""

    def __init__(
        self,
        *,
        host_keys: HostKeyStore,
        max_connections: int = 64,
        max_per_target: int = 4,
        max_channels: int = 8,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        self.host_keys = host_keys
        # Channels (commands, SFTP) open at once on one connection: OpenSSH refuses more than its MaxSessions
        # (default 10), so the transport queues instead of failing.
        self.max_channels = max_channels
        self.connect_timeout = connect_timeout
        self.max_per_target = max_per_target
        self._overall = asyncio.Semaphore(max_connections)
        self._per_target: dict[str, asyncio.Semaphore] = {}

    async def _store(self, method: str, *args: str) -> Any:
        call = getattr(self.host_keys, method)
        if getattr(self.host_keys, "blocking", False):
            return await asyncio.to_thread(call, *args)
        return call(*args)

    @contextlib.asynccontextmanager
    async def connect(self, target: SshTarget) -> AsyncIterator[SshSession]:
        """Open a connection to ``target`` (waiting for a free slot), yield a :class:`SshSession`, close it."""
        per_target = self._per_target.setdefault(target.key_id, asyncio.Semaphore(self.max_per_target))
        async with self._overall, per_target:
            conn = await self._open(target)
            try:
                yield SshSession(conn, target, asyncio.Semaphore(self.max_channels))
            finally:
                conn.close()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.wait_closed(), 5)

    async def scan_host_key(self, target: SshTarget) -> str:
        """The host key ``target`` offers (OpenSSH public key line), from a key exchange only.

        No user name, key or password is sent: this is the first contact an operator confirms from.
        """
        try:
            async with asyncio.timeout(self.connect_timeout):
                if target.sock_factory is not None:
                    sock = await _open_socket(target)
                    key = await asyncssh.get_server_host_key(sock=sock, config=None)
                else:
                    key = await asyncssh.get_server_host_key(target.host, target.port, config=None)
        except TimeoutError as exc:
            raise SshTimeout(f"connecting to {target.key_id} took more than {self.connect_timeout:g}s") from exc
        except (OSError, asyncssh.Error) as exc:
            raise SshError(f"cannot connect to {target.key_id} ({target.host}:{target.port}): {exc}") from exc
        if key is None:
            raise SshError(f"{target.key_id} offered no host key")
        return key.export_public_key("openssh").decode().strip()

    async def _open(self, target: SshTarget) -> asyncssh.SSHClientConnection:
        pinned = await self._store("get", target.key_id)
        if not pinned and not getattr(self.host_keys, "trust_on_first_use", True):
            raise HostKeyNotConfirmedError(
                f"the host key of {target.key_id} is not confirmed: test the connection and confirm its fingerprint "
                "first; no credential was sent"
            )
        if pinned:
            try:
                known_hosts: Any = ([asyncssh.import_public_key(pinned)], [], [])
            except (asyncssh.KeyImportError, ValueError) as exc:
                raise SshError(f"the pinned host key of {target.key_id} cannot be read: {exc}") from exc
        else:
            known_hosts = None  # first contact: accept and record below (trust on first use)
        try:
            client_keys = [asyncssh.import_private_key(target.private_key)] if target.private_key else None
        except (asyncssh.KeyImportError, ValueError) as exc:  # the message is asyncssh's, never the key's text
            raise SshError(f"the private key for {target.key_id} cannot be read: {exc}") from None
        options: dict[str, Any] = {
            "username": target.username,
            "known_hosts": known_hosts,
            "client_keys": client_keys,
            "password": target.password,
            "agent_path": None,
            "config": None,
            "preferred_auth": "publickey" if target.private_key else "password,keyboard-interactive",
        }
        offered: list[asyncssh.SSHKey] = []
        options["client_factory"] = lambda: _KeyRecordingClient(offered)
        try:
            async with asyncio.timeout(self.connect_timeout):
                if target.sock_factory is not None:
                    sock = await _open_socket(target)
                    conn = await asyncssh.connect(target.host, target.port, sock=sock, **options)
                else:
                    conn = await asyncssh.connect(target.host, target.port, **options)
        except asyncssh.HostKeyNotVerifiable as exc:
            now_offered = offered[-1].export_public_key("openssh").decode().strip() if offered else ""
            if now_offered and hasattr(self.host_keys, "mismatch"):
                await self._store("mismatch", target.key_id, now_offered)
            seen = f" (the host now offers {_fingerprint(now_offered)})" if now_offered else ""
            raise HostKeyChangedError(
                f"host key of {target.key_id} ({target.host}:{target.port}) does not match the pinned key "
                f"{_fingerprint(pinned)}{seen}; refusing to connect, no credential was sent. If the host was "
                "reinstalled, check the new key out of band and re-pin it."
            ) from exc
        except TimeoutError as exc:
            raise SshTimeout(f"connecting to {target.key_id} took more than {self.connect_timeout:g}s") from exc
        except (OSError, asyncssh.Error) as exc:
            raise SshError(f"cannot connect to {target.key_id} ({target.host}:{target.port}): {exc}") from exc
        if not pinned:
            key = conn.get_server_host_key()
            if key is not None:
                await self._store("put", target.key_id, key.export_public_key("openssh").decode().strip())
        return conn


async def _open_socket(target: SshTarget) -> socket.socket:
    """The target's own connected socket; a refusal or a silent address is "cannot connect", not a timeout of
    the whole connection (the socket has its own, shorter timeout)."""
    assert target.sock_factory is not None
    try:
        sock = await asyncio.to_thread(target.sock_factory)
    except OSError as exc:  # TimeoutError included
        why = str(exc) or "no answer"
        raise SshError(f"cannot connect to {target.key_id} ({target.host}:{target.port}): {why}") from exc
    sock.setblocking(False)
    return sock


def _fingerprint(public_key: str | None) -> str:
    try:
        return asyncssh.import_public_key(public_key or "").get_fingerprint()
    except Exception:  # a fingerprint is only decoration in an error message
        return "(unreadable)"


class SshSession:
    """One open connection: run commands, stream their output, upload files."""

    def __init__(self, conn: asyncssh.SSHClientConnection, target: SshTarget, channels: asyncio.Semaphore) -> None:
        self.conn = conn
        self.target = target
        self.channels = channels

    def stream(
        self, argv: Sequence[str], *, timeout: float = DEFAULT_COMMAND_TIMEOUT, input: str | None = None
    ) -> CommandStream:
        """Run ``argv``; iterate the result for ``(stream, line)`` pairs, then read ``exit_status``."""
        return CommandStream(self.conn, tuple(argv), timeout=timeout, input=input, channels=self.channels)

    async def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float = DEFAULT_COMMAND_TIMEOUT,
        check: bool = False,
        input: str | None = None,
    ) -> CommandResult:
        """Run ``argv`` to completion; raise :class:`CommandFailed` on non-zero exit when ``check``."""
        command = self.stream(argv, timeout=timeout, input=input)
        out: list[str] = []
        err: list[str] = []
        async for stream, line in command:
            (out if stream == "stdout" else err).append(line)
        result = CommandResult(tuple(argv), command.exit_status, "\n".join(out), "\n".join(err))
        if check and not result.ok:
            raise CommandFailed(result)
        return result

    async def upload(
        self, path: str, data: bytes, *, mode: int = 0o644, backup: bool = True, timeout: float = 60.0
    ) -> UploadResult:
        """Write ``data`` to ``path`` atomically; keep the replaced file as ``<path>.jailnet-backup``."""
        (result,) = await self.upload_many([(path, data, mode)], backup=backup, timeout=timeout)
        return result

    async def upload_many(
        self, files: Sequence[tuple[str, bytes, int]], *, backup: bool = True, timeout: float = 60.0
    ) -> list[UploadResult]:
        """Write each ``(path, data, mode)`` as :meth:`upload` does, all over one SFTP session.

        An SFTP session costs a channel and a subsystem process on the host: a host receiving several files
        pays that once, and the files' requests are pipelined on it. ``timeout`` bounds the whole batch.
        """
        if not files:
            return []

        async def one(sftp: asyncssh.SFTPClient, path: str, data: bytes, mode: int) -> UploadResult:
            try:
                return await _upload_one(sftp, path, data, mode, backup)
            except (OSError, asyncssh.Error) as exc:
                raise SshError(f"uploading {path} to {self.target.key_id} failed: {exc}") from exc

        what = files[0][0] if len(files) == 1 else f"{len(files)} files ({files[0][0]}, ...)"
        try:
            async with self.channels, asyncio.timeout(timeout), self.conn.start_sftp_client() as sftp:
                return list(await asyncio.gather(*(one(sftp, *f) for f in files)))
        except TimeoutError as exc:
            raise SshTimeout(f"uploading {what} to {self.target.key_id} took more than {timeout:g}s") from exc
        except (OSError, asyncssh.Error) as exc:
            raise SshError(f"uploading {what} to {self.target.key_id} failed: {exc}") from exc


async def _upload_one(sftp: asyncssh.SFTPClient, path: str, data: bytes, mode: int, backup: bool) -> UploadResult:
    """One atomic upload: temp file in the same directory, fsync, hard-link backup, ``posix-rename``."""
    directory, name = posixpath.split(path)
    tmp = posixpath.join(directory, f".{name}.jailnet-{secrets.token_hex(4)}")
    backup_path: str | None = None
    try:
        async with sftp.open(tmp, "wb", asyncssh.SFTPAttrs(permissions=mode)) as remote:
            await remote.write(data)
            await remote.fsync()  # the data is on disk before the rename makes it visible
        await sftp.chmod(tmp, mode)
        if backup and await sftp.exists(path):
            backup_path = f"{path}.jailnet-backup"
            if await sftp.lexists(backup_path):
                await sftp.remove(backup_path)
            await sftp.link(path, backup_path)  # a hard link: the old bytes, without copying
        await sftp.posix_rename(tmp, path)
    except BaseException:
        with contextlib.suppress(Exception):
            await sftp.remove(tmp)
        raise
    return UploadResult(path, backup_path)


class CommandStream:
    """Output of one remote command as an async iterator of ``("stdout"|"stderr", line)``.

    The whole command (all output and the exit) must finish within ``timeout`` seconds, otherwise the channel
    is closed and :class:`SshTimeout` raised. ``exit_status`` is set once iteration has ended.
    """

    def __init__(
        self,
        conn: asyncssh.SSHClientConnection,
        argv: tuple[str, ...],
        *,
        timeout: float,
        input: str | None,
        channels: asyncio.Semaphore,
    ) -> None:
        self.conn = conn
        self.channels = channels
        self.argv = argv
        self.timeout = timeout
        self.input = input
        self.exit_status: int = -1

    async def __aiter__(self) -> AsyncIterator[tuple[str, str]]:
        async with self.channels:  # the timeout starts once a channel is free
            async for item in self._lines():
                yield item

    async def _lines(self) -> AsyncIterator[tuple[str, str]]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        command = command_line(self.argv)
        try:
            process = await asyncio.wait_for(self.conn.create_process(command), self.timeout)
        except TimeoutError as exc:
            raise SshTimeout(f"starting {command} took more than {self.timeout:g}s") from exc
        except asyncssh.Error as exc:
            raise SshError(f"cannot run {command}: {exc}") from exc
        # One timer for the whole command (not a wait_for, i.e. a task, per line): when it fires, the queue
        # receives _EXPIRED and the iteration raises.
        queue: asyncio.Queue[tuple[str, str] | object | None] = asyncio.Queue()
        timer = loop.call_at(deadline, queue.put_nowait, _EXPIRED)

        async def pump(name: str, reader: Any) -> None:
            try:
                async for line in reader:
                    if line:  # the reader ends with an empty string at EOF; a blank line is "\n"
                        queue.put_nowait((name, scrub(line.rstrip("\n"))))
            finally:
                queue.put_nowait(None)

        if self.input is not None:
            process.stdin.write(self.input)
        process.stdin.write_eof()
        pumps = [
            asyncio.create_task(pump("stdout", process.stdout)),
            asyncio.create_task(pump("stderr", process.stderr)),
        ]
        try:
            finished = 0
            while finished < len(pumps):
                item = await queue.get()
                if item is _EXPIRED:
                    raise TimeoutError
                if item is None:
                    finished += 1
                else:
                    yield item  # type: ignore[misc]
            completed = await asyncio.wait_for(process.wait(), max(0.0, deadline - loop.time()))
            self.exit_status = completed.exit_status if completed.exit_status is not None else 255
        except TimeoutError as exc:
            raise SshTimeout(f"{command} took more than {self.timeout:g}s") from exc
        finally:
            timer.cancel()
            for task in pumps:
                task.cancel()
            process.close()


_EXPIRED = object()  # a command's deadline passed (see CommandStream._lines)


__all__ = [
    "CommandFailed",
    "CommandResult",
    "CommandStream",
    "HostKeyChangedError",
    "HostKeyNotConfirmedError",
    "SshError",
    "SshSession",
    "SshTarget",
    "SshTimeout",
    "SshTransport",
    "UnsafeCommand",
    "UploadResult",
    "command_line",
    "target_for_managed_host",
]
