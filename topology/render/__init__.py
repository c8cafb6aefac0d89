"""Rendering: a design snapshot in, per-host configuration out.

Each target lives in its own package (``freebsd``; the lab target reuses :mod:`.types`). Renderers are
pure functions of a :class:`~topology.snapshot.DesignSnapshot`: no database, no I/O, same input, same bytes.
"""

from .types import HostConfig, ManagedFile

__all__ = ["HostConfig", "ManagedFile"]
