"""SSH transport: pinned host keys, bounded connections, argv commands, streamed output, atomic uploads."""

from .hostkeys import FileHostKeyStore, HostKeyStore, ManagedHostKeyStore, MemoryHostKeyStore
from .transport import (
    CommandFailed,
    CommandResult,
    CommandStream,
    HostKeyChangedError,
    HostKeyNotConfirmedError,
    SshError,
    SshSession,
    SshTarget,
    SshTimeout,
    SshTransport,
    UploadResult,
    target_for_managed_host,
)

__all__ = [
    "CommandFailed",
    "CommandResult",
    "CommandStream",
    "FileHostKeyStore",
    "HostKeyChangedError",
    "HostKeyNotConfirmedError",
    "HostKeyStore",
    "ManagedHostKeyStore",
    "MemoryHostKeyStore",
    "SshError",
    "SshSession",
    "SshTarget",
    "SshTimeout",
    "SshTransport",
    "UploadResult",
    "target_for_managed_host",
]
