"""The SQLite connection layer: opening (rights checked first, the schema upgraded by bot.store.migrate), transactions
with the processed-update claim inside, committed reads."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import shutil
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from bot.store.bell import Bell
from bot.store.files import (
    RESTORE_HINT,
    DatabaseError,
    NoAccess,
    OpenedFile,
    StorageUnavailable,
    missing_access,
    unavailable,
    unusable,
)
from bot.store.migrate import migrate

__all__ = ["RESTORE_HINT", "AlreadyProcessed", "Database", "DatabaseError", "Row", "StorageUnavailable", "Turn",
           "integrity_problems", "migrate"]

log = logging.getLogger(__name__)
Row = aiosqlite.Row


MIN_FREE = 1 << 20  # bytes free on the database's file system below which /healthz calls the disk full
WRITE_TROUBLE = 60.0  # seconds a write that failed for want of storage keeps /healthz at 503 (unless one succeeds)


class AlreadyProcessed(Exception):
    """A channel update whose effects were already stored: it is being delivered again after a crash."""


@dataclass
class Turn:
    """One channel update being handled: its key, and whether a transaction has recorded it yet.

    The record that an update was processed is written inside the first transaction that stores its
    effect, so a handled update costs one write transaction; the router records it alone otherwise.
    """

    channel: str
    update_id: str
    claimed: bool = False


async def _wal(db: aiosqlite.Connection, tries: int = 100) -> None:
    # Switching a new file to WAL needs it to itself, and the busy handler does not wait for that: processes
    # opening a new file together retry for up to 10 s.
    for attempt in range(tries):
        try:
            await db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == tries - 1:
                raise
            await asyncio.sleep(0.1)


async def _connect(path: Path | str) -> aiosqlite.Connection:
    db = await aiosqlite.connect(path, timeout=10.0)
    db.row_factory = aiosqlite.Row
    try:
        await _wal(db)
        await db.execute("PRAGMA foreign_keys = ON")
        # WAL + NORMAL survives a crash of the bot (kill -9) without losing a commit; only a power cut
        # can drop the last transactions, and it costs no fsync per citizen message.
        await db.execute("PRAGMA synchronous = NORMAL")
        await db.execute("PRAGMA busy_timeout = 10000")
        # Deleted and overwritten content is zeroed in its page, and freed pages are zeroed: an erased
        # citizen's words stay in no free space of the file.
        await db.execute("PRAGMA secure_delete = ON")
    except BaseException:
        await db.close()  # else aiosqlite's thread keeps the process alive
        raise
    return db


async def integrity_problems(db: aiosqlite.Connection) -> list[str]:
    """What `PRAGMA quick_check` finds (empty when the file is sound)."""
    async with db.execute("PRAGMA quick_check") as cur:
        rows = [str(r[0]) for r in await cur.fetchall()]
    return [] if rows == ["ok"] else rows


async def _check_integrity(db: aiosqlite.Connection, path: Path) -> None:
    problems = await integrity_problems(db)
    if problems:
        raise DatabaseError(f"the database {path} is corrupt ({problems[0]}); papibot will not start on it. "
                            f"{RESTORE_HINT}")


class Database:
    """A writer connection behind a lock and a reader connection that only ever sees committed rows."""

    shared = False  # True where several papibot processes may use the database at once (PostgreSQL)
    # When a write last failed for want of storage and when one last succeeded (0: never), for /healthz.
    write_failed_at = 0.0
    write_done_at = 0.0

    def __init__(self, writer: aiosqlite.Connection, reader: aiosqlite.Connection, path: Path) -> None:
        self.db = writer
        self.reader = reader
        self.path = path
        self.file = OpenedFile(path)  # a commit into a file deleted meanwhile would be lost: refused
        # Tasks share the writer: the lock keeps one task's transaction from being committed, or
        # interleaved, by another's. Reads go to the reader, outside any open write transaction.
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> Any:
        """Open (creating if needed) the database and bring its schema up to date."""
        path = Path(path)
        memory = str(path) == ":memory:"
        if not memory:
            if problem := missing_access(path):  # before SQLite, whose words would be "unable to open"
                raise NoAccess(problem)
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            writer = await _connect(path)
        except sqlite3.DatabaseError as exc:
            raise unusable(path, exc) from exc
        try:
            await _check_integrity(writer, path)
            await migrate(writer, None if memory else path)
            reader = writer if memory else await _connect(path)
        except BaseException as exc:
            await writer.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise unusable(path, exc) from exc
            raise
        return cls(writer, reader, path)

    @functools.cached_property
    def queued(self) -> Bell:
        """Rung once a write put a message in the outbox: the delivery worker listens to it."""
        return Bell()

    async def close(self) -> None:
        """Close both connections."""
        if self.reader is not self.db:
            await self.reader.close()
        await self.db.close()

    @contextlib.asynccontextmanager
    async def _tx(self, turn: Turn | None = None) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction: all or nothing, one at a time; records `turn` as processed inside it."""
        async with self._lock:
            try:
                await self.db.execute("BEGIN IMMEDIATE")
                try:
                    if turn is not None and not turn.claimed:
                        await self._claim(self.db, turn)
                    yield self.db
                    if self.file.gone():  # deleted under the running bot: nobody would ever read this commit
                        raise StorageUnavailable(self.file.lost())
                    await self.db.commit()
                    self.write_done_at = time.time()
                except BaseException:
                    await self.db.rollback()  # a failed commit (disk full) must not leave the transaction open
                    raise
            except sqlite3.OperationalError as exc:
                if unavailable(exc):
                    self.write_failed_at = time.time()
                    raise StorageUnavailable(missing_access(self.path) or str(exc)) from exc
                raise
        if turn is not None:
            turn.claimed = True

    @contextlib.asynccontextmanager
    async def _try_lock(self, key: int) -> AsyncIterator[bool]:
        """Whether this process got the lock `key` (no other process shares a SQLite file: always)."""
        yield True

    async def scrub(self, vacuum: bool = False) -> None:
        """Leave no erased words in the files: the WAL's old frames are copied into the database (where
        secure_delete zeroed them) and the WAL is truncated to nothing. Cheap: no VACUUM is needed here."""
        if self.reader is self.db:  # in memory: no file
            return
        async with self._lock, self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
            row = await cur.fetchone()
        if row is not None and row[0]:  # another connection kept reading: the WAL stays until the next one
            log.warning("the WAL of %s could not be truncated after an erasure (a reader was busy)", self.path)

    async def poll_lock(self, name: str) -> bool:
        """Whether this process may poll the platform `name` (no other process shares a SQLite file: yes)."""
        return True

    async def _claim_holder(self) -> int | None:
        """The key that marks this process's outbox claims (one process per SQLite file: none needed)."""
        return None

    def _holds_claim(self, key: int) -> bool:
        """Whether this process still holds the claim key `key` (see `_claim_holder`)."""
        return True

    async def _claim(self, db: aiosqlite.Connection, turn: Turn) -> None:
        try:
            await db.execute("INSERT INTO processed_updates (channel, update_id, at) VALUES (?, ?, ?)",
                             (turn.channel, turn.update_id, time.time()))
        except sqlite3.IntegrityError as exc:
            raise AlreadyProcessed(f"{turn.channel}:{turn.update_id}") from exc

    async def _write(self, sql: str, params: tuple[Any, ...] = (), turn: Turn | None = None) -> int:
        """One statement in its own transaction; returns the number of rows changed."""
        async with self._tx(turn) as db:
            cur = await db.execute(sql, params)
        return cur.rowcount or 0

    async def _returning(self, sql: str, params: tuple[Any, ...] = ()) -> Row | None:
        """The row one writing statement returns, in a transaction of its own."""
        async with self._tx() as db, db.execute(sql, params) as cur:
            row: Row | None = await cur.fetchone()
        return row

    async def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Row | None:
        # One trip to the reader's thread (execute, fetch and close would be three): reads here are by key.
        rows = await self.reader.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[Row]:
        return list(await self.reader.execute_fetchall(sql, params))

    async def _value(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        row = await self._one(sql, params)
        return row[0] if row is not None else None

    async def processed(self, channel: str, update_id: str) -> bool:
        """True when this update was handled before (a redelivery after a crash, or a retry)."""
        return await self._one("SELECT 1 FROM processed_updates WHERE channel = ? AND update_id = ?",
                               (channel, update_id)) is not None

    async def claim(self, turn: Turn) -> None:
        """Record the update as processed in a transaction of its own (when nothing else was stored)."""
        if not turn.claimed:
            async with self._tx(turn):
                pass

    async def healthy(self) -> bool:
        """True while the database answers a trivial query."""
        if self.file.gone():
            return False
        try:
            return bool(await self._value("SELECT 1") == 1)
        except (sqlite3.Error, ValueError):
            return False

    def _free_bytes(self) -> int | None:
        """Bytes an unprivileged writer may still use beside the SQLite file (None: not a file)."""
        if self.path is None or str(self.path) == ":memory:":
            return None
        return shutil.disk_usage(self.path.parent).free

    async def storage_state(self) -> str:
        """`ok`, `unusable` (no reads) or `unavailable: <why>` (no writes: full disk, read-only, I/O errors)."""
        if not await self.healthy():
            return "unusable"
        free = self._free_bytes()
        if free is not None and free < MIN_FREE:
            return "unavailable: disk full"
        if self.write_failed_at > self.write_done_at and time.time() - self.write_failed_at < WRITE_TROUBLE:
            return "unavailable: writes failing"
        try:  # a real write, so a read-only or failing disk shows before a citizen's message meets it
            await self._write("UPDATE schema_version SET version = version")
        except Exception:  # whatever stops this write stops the others too
            return "unavailable: writes failing"
        return "ok"
