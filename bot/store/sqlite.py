"""The SQLite database: opening (rights checked first, the schema upgraded by bot.store.migrate), writes run as
functions in transactions with the processed-update claim inside, committed reads, a local coordination."""

from __future__ import annotations

import asyncio
import logging
import shutil
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.kernel.clock import SYSTEM, Clock
from bot.kernel.loops import on_loop
from bot.store.bell import Bell
from bot.store.coordination import LocalCoordination
from bot.store.database import AlreadyProcessed, Turn, Write, statement
from bot.store.dbapi import Conn
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
from bot.store.turns import WriterTurns

__all__ = ["RESTORE_HINT", "AlreadyProcessed", "DatabaseError", "Row", "SqliteDatabase", "StorageUnavailable", "Turn",
           "integrity_problems", "migrate"]

log = logging.getLogger(__name__)
Row = aiosqlite.Row
T = TypeVar("T")


MIN_FREE = 1 << 20  # bytes free on the database's file system below which /healthz calls the disk full
WRITE_TROUBLE = 60.0  # seconds a write that failed for want of storage keeps /healthz at 503 (unless one succeeds)


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


async def _open_connections(path: Path) -> tuple[aiosqlite.Connection, aiosqlite.Connection]:
    """The writer (the schema checked and upgraded through it) and the reader of the file at `path`."""
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
    return writer, reader


class SqliteDatabase:
    """A writer connection behind a lock and a reader connection that only ever sees committed rows.

    One process uses a SQLite file, so its coordination is local: every lock is its own.
    """

    def __init__(self, writer: aiosqlite.Connection, reader: aiosqlite.Connection, path: Path,
                 clock: Clock = SYSTEM) -> None:
        self._writer = writer
        self._reader = reader
        self.path = path
        self.clock = clock
        self.file = OpenedFile(path)  # a commit into a file deleted meanwhile would be lost: refused
        self.coordination = LocalCoordination(clock)
        self.queued = Bell()  # rung once a write put a message in the outbox
        # Tasks share the writer: the lock keeps one task's transaction from being committed, or
        # interleaved, by another's. Reads go to the reader, outside any open write transaction.
        self._turns = WriterTurns()
        self._home: asyncio.AbstractEventLoop | None = None  # the loop running the writes (None: each caller's)
        # When a write last failed for want of storage and when one last succeeded (0: never), for /healthz.
        self.write_failed_at = 0.0
        self.write_done_at = 0.0

    @classmethod
    async def open(cls, path: Path | str, clock: Clock = SYSTEM) -> SqliteDatabase:
        """Open (creating if needed) the database and bring its schema up to date."""
        writer, reader = await _open_connections(Path(path))
        return cls(writer, reader, Path(path), clock)

    async def companion(self) -> SqliteDatabase:
        """This database, its writes run from now on by the calling loop (the webhooks'), whichever loop makes them.

        SQLite has one writer, and a transaction holds it from BEGIN to COMMIT: run by the main loop, it would
        hold it as long as matching or a knowledge reload keeps that loop from its next statement, and every
        acknowledgement would wait as long. Run by a loop that does nothing slow, it holds it only for the
        statements themselves, and the acknowledgements' batches take their turns first (`serial=False`)."""
        self._home = asyncio.get_running_loop()
        return self

    async def close(self) -> None:
        """Close both connections."""
        self._home = None
        await self.coordination.close()
        if self._reader is not self._writer:
            await self._reader.close()
        await self._writer.close()

    async def write(self, fn: Write[T], turn: Turn | None = None, serial: bool = True) -> T:
        """Run `fn` in one write transaction: all or nothing, one at a time; records `turn` as processed inside it.

        SQLite has one writer whatever the write: one without `serial` (nothing relies on its order with the
        others: a webhook's events being acknowledged) goes before the writes still waiting for it."""
        if self._home is not None and not _on(self._home):
            return await on_loop(self._home, lambda: self.write(fn, turn, serial))
        async with self._turns.turn(urgent=not serial):
            try:
                result = await self._transaction(fn, turn)
            except sqlite3.OperationalError as exc:
                if unavailable(exc):
                    self.write_failed_at = self.clock.now()
                    raise StorageUnavailable(missing_access(self.path) or str(exc)) from exc
                raise
        if turn is not None:
            turn.claimed = True
        return result

    async def _transaction(self, fn: Write[T], turn: Turn | None) -> T:
        db = self._writer
        await db.execute("BEGIN IMMEDIATE")
        try:
            if turn is not None and not turn.claimed:
                await self._claim(db, turn)
            result = await fn(db)
            if self.file.gone():  # deleted under the running bot: nobody would ever read this commit
                raise StorageUnavailable(self.file.lost())
            await db.commit()
            self.write_done_at = self.clock.now()
        except BaseException:
            await db.rollback()  # a failed commit (disk full) must not leave the transaction open
            raise
        return result

    async def _claim(self, db: aiosqlite.Connection, turn: Turn) -> None:
        try:
            await db.execute("INSERT INTO processed_updates (channel, update_id, at) VALUES (?, ?, ?)",
                             (turn.channel, turn.update_id, self.clock.now()))
        except sqlite3.IntegrityError as exc:
            raise AlreadyProcessed(f"{turn.channel}:{turn.update_id}") from exc

    async def execute(self, sql: str, params: Sequence[Any] = (), turn: Turn | None = None) -> int:
        """One statement in a transaction of its own; the rows it changed."""
        return await self.write(statement(sql, params), turn)

    async def returning(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The row one writing statement returns, in a transaction of its own."""
        async def run(db: Conn) -> Row | None:
            return next(iter(await db.execute_fetchall(sql, tuple(params))), None)
        return await self.write(run)

    async def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row of a committed read."""
        # One trip to the reader's thread (execute, fetch and close would be three): reads here are by key.
        rows = await self._reader.execute_fetchall(sql, tuple(params))
        return next(iter(rows), None)

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Every row of a committed read."""
        return list(await self._reader.execute_fetchall(sql, tuple(params)))

    async def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row of a committed read (None without a row)."""
        row = await self.one(sql, params)
        return row[0] if row is not None else None

    async def processed(self, channel: str, update_id: str) -> bool:
        """True when this update was handled before (a redelivery after a crash, or a retry)."""
        return await self.one("SELECT 1 FROM processed_updates WHERE channel = ? AND update_id = ?",
                              (channel, update_id)) is not None

    async def claim(self, turn: Turn) -> None:
        """Record the update as processed in a transaction of its own (when nothing else was stored)."""
        if not turn.claimed:
            await self.write(_nothing, turn)

    def gone(self) -> bool:
        """True when the file was deleted or replaced since it was opened: a commit now would be lost."""
        return self.file.gone()

    async def healthy(self) -> bool:
        """True while the database answers a trivial query."""
        if self.file.gone():
            return False
        try:
            return bool(await self.value("SELECT 1") == 1)
        except (sqlite3.Error, ValueError):
            return False

    async def state(self) -> str:
        """`ok`, `unusable` (no reads) or `unavailable: <why>` (no writes: full disk, read-only, I/O errors)."""
        if not await self.healthy():
            return "unusable"
        if str(self.path) != ":memory:" and shutil.disk_usage(self.path.parent).free < MIN_FREE:
            return "unavailable: disk full"
        if self.write_failed_at > self.write_done_at and self.clock.now() - self.write_failed_at < WRITE_TROUBLE:
            return "unavailable: writes failing"
        try:  # a real write, so a read-only or failing disk shows before a citizen's message meets it
            await self.execute("UPDATE schema_version SET version = version")
        except Exception:  # whatever stops this write stops the others too
            return "unavailable: writes failing"
        return "ok"

    async def scrub(self, vacuum: bool = False) -> None:
        """Leave no erased words in the files: the WAL's old frames are copied into the database (where
        secure_delete zeroed them) and the WAL is truncated to nothing. Cheap: no VACUUM is needed here."""
        if self._reader is self._writer:  # in memory: no file
            return
        if self._home is not None and not _on(self._home):
            return await on_loop(self._home, lambda: self.scrub(vacuum))
        async with self._turns.turn(), self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
            row = await cur.fetchone()
        if row is not None and row[0]:  # another connection kept reading: the WAL stays until the next one
            log.warning("the WAL of %s could not be truncated after an erasure (a reader was busy)", self.path)


def _on(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether `loop` is the running one."""
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


async def _nothing(db: Conn) -> None:
    """A write of nothing but the processed-update record its transaction adds."""
