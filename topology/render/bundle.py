"""A deployable bundle: what a deploy pushes to one host (the managed files and a converging apply program).

Pure data, built by the renderers (``freebsd.bundle``, ``lab.bundle``) from their per-host plans and stored as
JSON in the database, so any worker can deploy it. The apply program converges: it reads the live state and
does only what differs; every action it takes prints ``@@changed <what>`` and appends its inverse to the undo
journal (``$JAILNET_UNDO``), which a rollback runs backwards after restoring the files. The deploy's own steps
(staging, backup, the dead-man timer) are the executors' business, not the bundle's.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from typing import Any

# A path written by a deploy: absolute, plain words (the host-side programs read manifests split on blanks).
_PATH = re.compile(r"/[A-Za-z0-9_@%+=:,./-]+")
_MODE = re.compile(r"0?[0-7]{3,4}")
_OWNER = re.compile(r"[a-z_][a-z0-9_-]*:[a-z_][a-z0-9_-]*")


class BundleError(ValueError):
    """A bundle cannot be built (a path, mode or owner that cannot be written safely, or an unknown step)."""


@dataclass(frozen=True, slots=True)
class BundleFile:
    """A managed file: absolute path, octal mode, ``owner:group`` and full content."""

    path: str
    mode: str
    owner: str
    content: str

    def __post_init__(self) -> None:
        if not _PATH.fullmatch(self.path) or "/../" in f"{self.path}/" or "//" in self.path:
            raise BundleError(f"{self.path!r} is not a path a deploy can write")
        if not _MODE.fullmatch(self.mode):
            raise BundleError(f"{self.mode!r} is not an octal file mode")
        if not _OWNER.fullmatch(self.owner):
            raise BundleError(f"{self.owner!r} is not an owner:group")


@dataclass(frozen=True, slots=True)
class BundleCheck:
    """A check run on the host against the staged bundle before anything is applied.

    ``argv`` may name a staged file as ``{file:/managed/path}`` (replaced by its staged copy) and the staged
    apply program as ``{apply}``.
    """

    title: str
    argv: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Bundle:
    """Everything a deploy pushes to one host."""

    host: str
    target: str  # "freebsd" or "lab"
    files: tuple[BundleFile, ...]
    apply: str  # POSIX sh: the converging apply program (library and this host's steps)
    checks: tuple[BundleCheck, ...]
    restarts: tuple[str, ...] = ()  # what the apply may restart, in the user's words (for the live plan)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored with the deploy)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Bundle:
        """The bundle stored by :meth:`as_dict`."""
        return cls(
            host=data["host"],
            target=data["target"],
            files=tuple(BundleFile(**f) for f in data["files"]),
            apply=data["apply"],
            checks=tuple(BundleCheck(c["title"], tuple(c["argv"])) for c in data["checks"]),
            restarts=tuple(data.get("restarts", ())),
        )

    @property
    def digest(self) -> str:
        """SHA-256 of the bundle's canonical JSON: equal digests, equal deploys."""
        text = json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def file_digests(self) -> dict[str, str]:
        """SHA-256 of each managed file's content, by path (what a host's files must hash to once deployed)."""
        return {f.path: hashlib.sha256(f.content.encode()).hexdigest() for f in self.files}


__all__ = ["Bundle", "BundleCheck", "BundleError", "BundleFile"]
