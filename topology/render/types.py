"""What a renderer produces for one host: the operator script and the files a deploy pushes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ManagedFile:
    """A file the tool owns on a host: its absolute path, full content and octal mode."""

    path: str
    content: str
    mode: str = "0644"


@dataclass(frozen=True, slots=True)
class HostConfig:
    """Everything rendered for one host: the script an admin would type, and the managed files (sorted by path)."""

    host: str
    script: str
    files: tuple[ManagedFile, ...]

    def file(self, path: str) -> ManagedFile | None:
        """The managed file at ``path``, or None."""
        return next((f for f in self.files if f.path == path), None)
