"""Freezing a design for review: document, content hash, validation, per-host output and diffs. Pure."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from topology.design_io import document_from_snapshot, document_hash, dump_document
from topology.snapshot import DesignSnapshot

if TYPE_CHECKING:
    from topology.render.types import HostConfig


@dataclass(frozen=True)
class FrozenHost:
    """One host's rendered output and its diff against the deployed configuration."""

    host_name: str
    script: str
    files: list[dict[str, str]]
    diff: str
    changed: bool


def freeze_document(snapshot: DesignSnapshot) -> tuple[str, str]:
    """The canonical YAML of a design (no ids, no canvas positions) and its content hash."""
    doc = document_from_snapshot(snapshot)
    return dump_document(doc), document_hash(doc)


def content_hash(snapshot: DesignSnapshot) -> str:
    """The content hash of a design as it is now (cheap: no YAML is written)."""
    return document_hash(document_from_snapshot(snapshot))


def files_of(config: HostConfig) -> list[dict[str, str]]:
    """A host's managed files as JSON-ready dicts."""
    return [{"path": f.path, "content": f.content, "mode": f.mode} for f in config.files]


def host_diff(host_name: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> str:
    """Unified diff of one host's operator script and managed files, old → new (``None``: nothing)."""
    chunks: list[str] = []

    def add(label: str, before: str | None, after: str | None) -> None:
        a = (before or "").splitlines(keepends=True)
        b = (after or "").splitlines(keepends=True)
        from_name = f"a/{host_name}{label}" if before is not None else "/dev/null"
        to_name = f"b/{host_name}{label}" if after is not None else "/dev/null"
        for line in difflib.unified_diff(a, b, from_name, to_name, n=3):
            chunks.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")

    old_files = {f["path"]: f["content"] for f in (old or {}).get("files", [])}
    new_files = {f["path"]: f["content"] for f in (new or {}).get("files", [])}
    for path in sorted(old_files.keys() | new_files.keys()):
        add(path, old_files.get(path), new_files.get(path))
    add("#operator-script", (old or {}).get("script"), (new or {}).get("script"))
    return "".join(chunks)


def freeze_hosts(configs: dict[str, HostConfig], deployed: dict[str, dict[str, Any]]) -> list[FrozenHost]:
    """Per host of the new rendering and of the deployed one: output and diff, hosts in name order.

    A host that is deployed but no longer in the design appears with empty output and a removal diff.
    """
    out = []
    for name in sorted(configs.keys() | deployed.keys()):
        config = configs.get(name)
        script = config.script if config else ""
        files = files_of(config) if config else []
        new = {"script": script, "files": files} if config else None
        diff = host_diff(name, deployed.get(name), new)
        out.append(FrozenHost(host_name=name, script=script, files=files, diff=diff, changed=bool(diff)))
    return out
