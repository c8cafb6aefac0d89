"""Keep the SQLite database and its journal files private (0600) for as long as the app runs.

Settings create the database file 0600 before SQLite first opens it, and SQLite gives its journal and WAL
files the database file's mode. Should the file be removed and made anew while the app runs (a restore, a
``flush`` that recreates it), each new connection puts the mode back.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.db.backends.signals import connection_created

_SUFFIXES = ("", "-journal", "-wal", "-shm")


def _private_sqlite_files(sender: Any, connection: Any, **_: Any) -> None:
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    for suffix in _SUFFIXES:
        path = Path(name + suffix)
        try:
            if path.stat().st_mode & 0o077:
                os.chmod(path, 0o600)
        except FileNotFoundError:
            continue


def connect_sqlite_modes() -> None:
    """Check the modes on every new database connection."""
    connection_created.connect(_private_sqlite_files, dispatch_uid="jailnet-sqlite-private-files")
