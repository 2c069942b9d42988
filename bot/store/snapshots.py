"""The copies the store makes of itself: a snapshot before a schema upgrade, and the check that an emptied file
is not mistaken for a first start. Backups proper (papibot db backup/restore) live in bot/ops/backup.py."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import sqlite3
from pathlib import Path

from bot.kernel.clock import SYSTEM, Clock

STAMP = "%Y%m%dT%H%M%SZ"
BACKUP_NAME = re.compile(r"^papibot-(\d{8}T\d{6}Z)\.(db|dump)$")  # SQLite copies and PostgreSQL dumps alike


class BackupError(Exception):
    """A backup or restore could not be made; nothing was replaced."""


def stamp(now: dt.datetime | None = None, clock: Clock = SYSTEM) -> str:
    """A time (by default the clock's) in UTC as it appears in backup names: 20261128T221500Z."""
    return (now or dt.datetime.fromtimestamp(clock.now(), dt.UTC)).astimezone(dt.UTC).strftime(STAMP)


def quick_check(path: Path) -> list[str]:
    """PRAGMA quick_check on a database file: an empty list when it is sound."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as db:
            rows = [str(r[0]) for r in db.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    return [] if rows == ["ok"] else rows


def snapshot(db_path: Path, target: Path) -> None:
    """Write the committed state of a live database to `target` (replaced whole, once the copy checks out).

    SQLite's backup API copies in one step, a single read transaction: one consistent state, whoever writes
    meanwhile. Raises BackupError, sqlite3.Error or OSError.
    """
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with contextlib.closing(sqlite3.connect(db_path, timeout=30)) as src, \
                contextlib.closing(sqlite3.connect(partial)) as dst:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
        if problems := quick_check(partial):
            raise BackupError(f"the copy failed its check: {problems[0]}")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def newest_backup(to_dir: Path) -> Path | None:
    """The newest SQLite backup (papibot-<time>.db) in `to_dir`, or None."""
    try:
        names = sorted(p.name for p in to_dir.iterdir() if (m := BACKUP_NAME.match(p.name)) and m[2] == "db")
    except OSError:  # no such folder (a first start), or not readable
        return None
    return to_dir / names[-1] if names else None


def emptied(db_path: Path, to_dir: Path) -> str | None:
    """Why a zero-length database file must not become a new database: backups in `to_dir` show one stood
    there. None for a first start (no backup yet), a file with content, or none at all."""
    try:
        size = os.stat(db_path).st_size
    except OSError:  # none yet, or out of reach (the open then says which right is missing)
        return None
    newest = newest_backup(to_dir) if size == 0 else None
    if newest is None:
        return None
    return (f"tệp cơ sở dữ liệu {db_path} rỗng (0 byte) trong khi {to_dir} có bản sao lưu: dữ liệu đã mất khỏi tệp "
            f"này và papibot không tạo cơ sở dữ liệu mới thay nó. Hãy khôi phục bản sao lưu mới nhất: "
            f"papibot db restore {newest}")
