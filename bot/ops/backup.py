"""Online backups of the SQLite database (learned knowledge included), their pruning, and a guarded restore.

Backups made before the database held the learned knowledge have a `learned-<time>.yaml` beside them:
restoring one puts that file back in the data directory, and the first start imports it.

A running papibot (`papibot run`, `papibot web`, `papibot chat`) holds a shared lock on `<database>.lock`
for its whole life; `restore` needs the exclusive lock and refuses while anyone holds the shared one.
The kernel drops the lock when a process dies, so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import shutil
import sqlite3
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

from bot.store.files import NoAccess, folder_problem, missing_access
from bot.store.snapshots import BACKUP_NAME, BackupError, quick_check, snapshot, stamp

T = TypeVar("T")


class DatabaseInUse(BackupError):
    """A running papibot holds the database: stop it before restoring."""


@dataclass
class BackupResult:
    """What one backup wrote and which older backups it pruned."""

    database: Path
    removed: list[Path] = field(default_factory=list)


def lock_path(db_path: Path) -> Path:
    """The lock file next to the database."""
    return db_path.with_name(f"{db_path.name}.lock")


def _lock(db_path: Path, mode: int) -> IO[str]:
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path(db_path), "a", encoding="utf-8")  # noqa: SIM115 - held until released
    except OSError as exc:
        raise NoAccess(missing_access(db_path) or f"không mở được tệp khóa {lock_path(db_path)}: {exc}") from exc
    try:
        fcntl.flock(handle, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise DatabaseInUse(f"{db_path} is in use by a running papibot (or a restore): stop it first") from None
    return handle


@contextlib.contextmanager
def holding(db_path: Path) -> Iterator[None]:
    """Hold the shared 'in use' lock while papibot runs; fails while a restore holds the database."""
    handle = _lock(db_path, fcntl.LOCK_SH)
    try:
        yield
    finally:
        handle.close()


async def while_holding(db_path: Path, work: Coroutine[Any, Any, T]) -> T:
    """Await `work` holding the shared lock on the database (closing it unstarted when the lock is refused)."""
    try:
        handle = _lock(db_path, fcntl.LOCK_SH)
    except (DatabaseInUse, NoAccess):
        work.close()
        raise
    try:
        return await work
    finally:
        handle.close()


def file_kind(path: Path) -> str:
    """What a backup file holds by its first bytes: "sqlite", "postgresql" (a pg_dump archive) or ""."""
    with open(path, "rb") as handle:
        head = handle.read(16)
    return "sqlite" if head == b"SQLite format 3\x00" else "postgresql" if head.startswith(b"PGDMP") else ""


def new_target(to_dir: Path, suffix: str, keep: int, now: dt.datetime | None = None) -> Path:
    """The name of a new backup (papibot-<time>.<suffix>) in a private folder; refused if it exists or keep < 1."""
    if keep < 1:
        raise BackupError(f"--keep must be at least 1 (got {keep})")
    if problem := folder_problem(to_dir, ", nơi papibot ghi các bản sao lưu"):
        raise NoAccess(problem)
    to_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = to_dir / f"papibot-{stamp(now)}.{suffix}"
    if target.exists():
        raise BackupError(f"{target} already exists: wait a second and try again")
    return target


def backup(db_path: Path, to_dir: Path, keep: int = 14, now: dt.datetime | None = None) -> BackupResult:
    """Copy the live database with SQLite's backup API: one consistent snapshot, learned knowledge included."""
    if not db_path.exists():
        raise BackupError(f"no database at {db_path}")
    target = new_target(to_dir, "db", keep, now)
    try:
        snapshot(db_path, target)
    except (sqlite3.Error, OSError) as exc:
        if problem := missing_access(db_path):  # SQLite reads a WAL database through files beside it
            raise NoAccess(problem) from exc
        raise BackupError(f"backup of {db_path} failed: {exc}") from exc
    return BackupResult(target, prune(to_dir, keep))


def prune(to_dir: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` backups (and the learned files of older ones); returns what went."""
    stamps = sorted({m[1] for p in to_dir.iterdir() if (m := BACKUP_NAME.match(p.name))}, reverse=True)
    removed = []
    for old in stamps[keep:]:
        for path in (to_dir / f"papibot-{old}.db", to_dir / f"papibot-{old}.dump", to_dir / f"learned-{old}.yaml"):
            if path.exists():
                path.unlink()
                removed.append(path)
    return removed


def _aside(path: Path, when: str) -> Path | None:
    """Rename a file (and its WAL companions) to `<name>.replaced-<time>`; None when there was none."""
    if not path.exists():
        return None
    moved = path.with_name(f"{path.name}.replaced-{when}")
    os.replace(path, moved)
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            os.replace(companion, moved.with_name(moved.name + suffix))
    return moved


def _holds_learned(path: Path) -> bool:
    """Whether a database file has the learned store (schema version 10 and later)."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as db:
        return db.execute("SELECT 1 FROM sqlite_master WHERE name = 'learned_items'").fetchone() is not None


def restore(db_path: Path, learned: Path, source: Path) -> tuple[Path | None, bool]:
    """Put a backup in place of the database; an older backup's learned file goes to `learned`, to be imported.

    Returns where the replaced database went and whether a learned file was restored too.
    """
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    if file_kind(source) == "postgresql":
        raise BackupError(f"{source} là bản sao lưu PostgreSQL (pg_dump) nhưng papibot đang dùng SQLite ({db_path}): "
                          "hãy chọn tệp papibot-<thời điểm>.db, hoặc đặt PAPIBOT_DB là URL postgresql://")
    if problems := quick_check(source):
        raise BackupError(f"{source} failed its check, nothing was replaced: {problems[0]}")
    if problem := missing_access(db_path):
        raise NoAccess(problem)
    handle = _lock(db_path, fcntl.LOCK_EX)
    try:
        when = stamp()
        partial = db_path.with_name(f".{db_path.name}.restoring")
        shutil.copyfile(source, partial)
        moved = _aside(db_path, when)
        os.replace(partial, db_path)
        m = BACKUP_NAME.match(source.name)
        learned_copy = source.with_name(f"learned-{m[1]}.yaml") if m else None
        if learned_copy is not None and learned_copy.exists() and not _holds_learned(source):
            _aside(learned, when)
            learned.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(learned_copy, learned)
            return moved, True
        return moved, False
    finally:
        handle.close()
