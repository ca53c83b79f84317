"""`wms backup`: a consistent copy of a live SQLite database with SQLite's online backup API.

The copy is made in one step of the backup API, inside one read transaction: in WAL mode (which
the WMS uses) that is one consistent snapshot while the WMS keeps writing, never blocked. (A
copy in small steps restarts each time another connection writes, so on a busy warehouse it
might never finish; a plain `cp` of a database being written, or without its -wal file, is
not consistent.) PostgreSQL is backed up with pg_dump (docs/deploy.md).
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """The backup cannot be made; the message says why."""


def sqlite_path(database_uri: str) -> Path:
    url = make_url(database_uri)
    if url.get_backend_name() != "sqlite":
        raise BackupError(f"`wms backup` copies SQLite databases; this one is {url.get_backend_name()}. "
                          "Back up PostgreSQL with pg_dump (see docs/deploy.md).")
    if not url.database or url.database == ":memory:":
        raise BackupError("The database is in memory: there is no file to back up.")
    return Path(url.database)


def backup_sqlite(database_uri: str, target: Path, *, overwrite: bool = False) -> int:
    """Copy the live database to `target` (written beside it, checked, then renamed); return its page count."""
    source_path = sqlite_path(database_uri)
    if not source_path.exists():
        raise BackupError(f"No database at {source_path}: nothing to back up.")
    target = Path(target)
    if target.resolve() == source_path.resolve():
        raise BackupError("The backup cannot overwrite the database itself: choose another file.")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists: choose a new file name or pass --force.")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(source_path, timeout=30)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy, pages=-1)  # one step: one snapshot (see the module's docstring)
            check = copy.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"The copy failed its integrity check: {check}")
            pages = copy.execute("PRAGMA page_count").fetchone()[0]
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            copy.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"The backup failed: {exc}") from None
    finally:
        source.close()
    os.replace(partial, target)
    return pages
