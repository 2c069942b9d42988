"""The SQLite database: opening (rights checked first, the schema upgraded by bot.store.migrate), writes run as
functions in transactions with the processed-update claim inside, committed reads, a local coordination."""

from __future__ import annotations

import asyncio
import logging
import shutil
import sqlite3
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from bot.kernel.clock import SYSTEM, Clock
from bot.store import sqlite_thread
from bot.store.bell import Bell
from bot.store.coordination import LocalCoordination
from bot.store.database import AlreadyProcessed, Turn, Write, statement, statements
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
from bot.store.sqlite_thread import InThread, SqliteThread, drive

__all__ = ["RESTORE_HINT", "AlreadyProcessed", "DatabaseError", "Row", "SqliteDatabase", "StorageUnavailable", "Turn",
           "integrity_problems", "migrate"]

log = logging.getLogger(__name__)
Row = sqlite3.Row
T = TypeVar("T")


MIN_FREE = 1 << 20  # bytes free on the database's file system below which /healthz calls the disk full
WRITE_TROUBLE = 60.0  # seconds a write that failed for want of storage keeps /healthz at 503 (unless one succeeds)


async def _wal(db: SqliteThread, tries: int = 100) -> None:
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


async def _connect(path: Path | str) -> SqliteThread:
    db = await SqliteThread.connect(path, timeout=10.0)
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
        await db.close()  # else its thread keeps the process alive
        raise
    return db


async def integrity_problems(db: SqliteThread) -> list[str]:
    """What `PRAGMA quick_check` finds (empty when the file is sound)."""
    async with db.execute("PRAGMA quick_check") as cur:
        rows = [str(r[0]) for r in await cur.fetchall()]
    return [] if rows == ["ok"] else rows


async def _check_integrity(db: SqliteThread, path: Path) -> None:
    problems = await integrity_problems(db)
    if problems:
        raise DatabaseError(f"the database {path} is corrupt ({problems[0]}); papibot will not start on it. "
                            f"{RESTORE_HINT}")


async def _open_connections(path: Path) -> tuple[SqliteThread, SqliteThread]:
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


def _inline(path: Path) -> sqlite3.Connection:
    """A read-only connection for the event loop's thread: reads by key only, never waiting for a lock."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, timeout=0)
    conn.row_factory = sqlite3.Row
    return conn


class SqliteDatabase:
    """A writer connection behind a lock and a reader connection that only ever sees committed rows.

    One process uses a SQLite file, so its coordination is local: every lock is its own.
    """

    def __init__(self, writer: SqliteThread, reader: SqliteThread, path: Path,
                 clock: Clock = SYSTEM) -> None:
        self._writer = writer
        self._reader = reader
        self._inline = _inline(path) if reader is not writer else None
        self.path = path
        self.clock = clock
        self.file = OpenedFile(path)  # a commit into a file deleted meanwhile would be lost: refused
        self.coordination = LocalCoordination(clock)
        self.queued = Bell()  # rung once a write put a message in the outbox
        # Tasks share the writer: each transaction is one piece of work on its thread, whole, in the order asked
        # (sqlite_thread.py). Reads go to the reader, outside any open write transaction.
        # When a write last failed for want of storage and when one last succeeded (0: never), for /healthz.
        self.write_failed_at = 0.0
        self.write_done_at = 0.0

    @classmethod
    async def open(cls, path: Path | str, clock: Clock = SYSTEM) -> SqliteDatabase:
        """Open (creating if needed) the database and bring its schema up to date."""
        writer, reader = await _open_connections(Path(path))
        return cls(writer, reader, Path(path), clock)

    async def companion(self) -> SqliteDatabase:
        """This database, for another event loop (the webhooks'): a write is whole on the writer's thread whoever
        asks, so a busy main loop never holds the writer between a caller's turn and its work."""
        return self

    async def close(self) -> None:
        """Close both connections."""
        await self.coordination.close()
        if self._inline is not None:
            self._inline.close()
        if self._reader is not self._writer:
            await self._reader.close()
        await self._writer.close()

    async def write(self, fn: Write[T], turn: Turn | None = None, serial: bool = True) -> T:
        """Run `fn` in one write transaction: all or nothing, one at a time; records `turn` as processed inside it.

        SQLite has one writer whatever the write: one without `serial` (nothing relies on its order with the
        others: a webhook's events being acknowledged) goes before the writes still waiting for it."""
        try:
            # The whole transaction runs on the writer's thread: one trip however many statements it holds.
            result = await self._writer.run(partial(self._in_thread, fn, turn), urgent=not serial)
        except sqlite3.OperationalError as exc:
            if unavailable(exc):
                self.write_failed_at = self.clock.now()
                raise StorageUnavailable(missing_access(self.path) or str(exc)) from exc
            raise
        if turn is not None:
            turn.claimed = True
        return result

    def _in_thread(self, fn: Write[T], turn: Turn | None, conn: sqlite3.Connection) -> T:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if turn is not None and not turn.claimed:
                self._claim(conn, turn)
            result = drive(fn(InThread(conn)))
            if self.file.gone():  # deleted under the running bot: nobody would ever read this commit
                raise StorageUnavailable(self.file.lost())
            sqlite_thread.commit(conn)  # through the module: where a test makes the disk full
            self.write_done_at = self.clock.now()
        except BaseException:
            if conn.in_transaction:  # a failed commit (disk full) must not leave the transaction open
                conn.execute("ROLLBACK")
            raise
        return result

    def _claim(self, conn: sqlite3.Connection, turn: Turn) -> None:
        try:
            conn.execute("INSERT INTO processed_updates (channel, update_id, at) VALUES (?, ?, ?)",
                         (turn.channel, turn.update_id, self.clock.now()))
        except sqlite3.IntegrityError as exc:
            raise AlreadyProcessed(f"{turn.channel}:{turn.update_id}") from exc

    async def together(self, pairs: Sequence[tuple[str, Sequence[Any]]], turn: Turn | None = None) -> list[Row]:
        """Independent statements in one transaction (one trip here as any write); the last one's rows."""
        return await self.write(statements(pairs), turn)

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

    async def peek(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row of a read by key, at once on the event loop's own connection: a trip to the reader's
        thread costs ten times the read itself, and a WAL reader never waits for the writer. A file busy for
        another reason (a WAL being recovered) answers at once, and the reader's thread waits instead."""
        if self._inline is None:
            return await self.one(sql, params)
        try:
            cur = self._inline.execute(sql, tuple(params))
        except sqlite3.OperationalError:
            return await self.one(sql, params)
        try:
            return cur.fetchone()  # type: ignore[no-any-return]
        finally:
            cur.close()  # no read transaction left open (it would hold the WAL against a checkpoint)

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
        row = await self._writer.run(lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone())
        if row is not None and row[0]:  # another connection kept reading: the WAL stays until the next one
            log.warning("the WAL of %s could not be truncated after an erasure (a reader was busy)", self.path)


async def _nothing(db: Conn) -> None:
    """A write of nothing but the processed-update record its transaction adds."""
