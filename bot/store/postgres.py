"""The PostgreSQL database: a pool, migrations, writes run as functions in transactions with the processed-update
claim inside, and the coordination of the processes sharing it.

Reads outside a transaction take any pooled connection: under READ COMMITTED they only ever see committed
rows, as the SQLite reader does. Write transactions take a transaction-level advisory lock first, so
writers are serialised across every process sharing the database, the guarantee SQLite's single writer
gives and the storage's read-then-write steps (one pending ticket per question, numbered corrections) rely on.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any, TypeVar

import asyncpg

from bot.kernel.clock import SYSTEM, Clock
from bot.store.bell import Bell
from bot.store.database import AlreadyProcessed, Row, Turn, Write, statement
from bot.store.dbapi import Conn, PgConn, to_pg
from bot.store.files import DatabaseError, StorageUnavailable
from bot.store.migrate import known_version
from bot.store.pg_coordination import SharedCoordination, unlock_session
from bot.store.pg_tools import APP_NAME, MigrationBackup
from bot.store.schema import SCHEMA_VERSION
from bot.store.schema_pg import PG_MIGRATIONS

log = logging.getLogger(__name__)
T = TypeVar("T")
# The tables whose rows erasure and retention empty or delete: their old row versions hold citizens' words.
ERASED_TABLES = ("questions", "tickets", "outbox", "admin_actions", "conversations", "menus", "contacts",
                 "inbound_events", "takeovers", "learned_items", "sent_messages", "processed_updates",
                 "survey_offers", "feedback_items", "feedback_drafts")
CLAIM = "INSERT INTO processed_updates (channel, update_id, at) VALUES (?, ?, ?)"  # an update recorded as handled
WRITER_LOCK = 0x7061706962  # advisory lock key held by every write transaction ("papib")
WRITE_TROUBLE = 60.0  # seconds a write that failed for want of the server keeps /healthz at 503 (unless one succeeds)
SERVER_SETTINGS = {"application_name": APP_NAME}  # how `papibot db restore` tells the bot's sessions apart
_UNAVAILABLE = (OSError, asyncpg.PostgresConnectionError, asyncpg.InsufficientResourcesError,
                asyncpg.CannotConnectNowError, asyncpg.ReadOnlySQLTransactionError)


async def pg_version(conn: asyncpg.Connection) -> int:
    """The schema version recorded in the database (0 when it is empty)."""
    if await conn.fetchval("SELECT to_regclass('schema_version')") is None:
        return 0
    return int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_version"))


async def pg_migrate(conn: asyncpg.Connection, target: int = SCHEMA_VERSION,
                     before: MigrationBackup | None = None) -> int:
    """Bring the schema to `target`, each migration in its own transaction; refuse a newer database.

    The migrations (and, with `before`, a dump of a database already holding a schema) run under the
    writers' advisory lock held for the session: one process upgrades while the others wait, then find the
    work done, and no write slips in between the dump and the upgrade. The version is read again once the
    lock is held, in a transaction of its own: PostgreSQL refreshes a session's cached catalogue when a
    transaction starts, not when a lock is granted, so a transaction begun before the lock could still find
    no `schema_version` table after another process created it, and create the schema a second time.
    """
    version = known_version(await pg_version(conn))
    if version >= target:
        return version
    await conn.execute("SELECT pg_advisory_lock($1)", WRITER_LOCK)
    try:
        version = known_version(await pg_version(conn))
        if version and version < target and before is not None:
            await before.take(version, target)
        for reached, ddl in PG_MIGRATIONS:
            if version < reached <= target:
                async with conn.transaction():
                    await conn.execute(ddl)
                    await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)")
                    await conn.execute("DELETE FROM schema_version")
                    await conn.execute("INSERT INTO schema_version (version) VALUES ($1)", reached)
                version = reached
        return version
    finally:
        await unlock_session(conn, WRITER_LOCK)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Nothing to reset when a connection goes back to the pool (asyncpg's default is one more round trip for
    each use): nothing here changes a session's settings or listens, an open transaction is rolled back by
    the pool itself, and a session advisory lock is released by the code that took it, or its connection
    is closed (pg_coordination, pg_migrate)."""


class PgDatabase:
    """A connection pool shared by the writers (serialised by an advisory lock) and the committed reads."""

    def __init__(self, pool: asyncpg.Pool, url: str, clock: Clock = SYSTEM) -> None:
        self.pool = pool
        self.url = url
        self.clock = clock
        self.coordination = SharedCoordination(url, pool, self)
        self.queued = Bell()  # rung once a write put a message in the outbox
        # When a write last failed for want of the server and when one last succeeded (0: never), for /healthz.
        self.write_failed_at = 0.0
        self.write_done_at = 0.0

    @classmethod
    async def open(cls, url: str, before: MigrationBackup | None = None, clock: Clock = SYSTEM) -> PgDatabase:
        """Connect to the server at `url` and bring the schema up to date (dumping it first to `before`)."""
        try:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=10, server_settings=SERVER_SETTINGS,
                                             reset=_keep_session)
        except (OSError, asyncpg.PostgresError) as exc:
            raise DatabaseError(f"cannot connect to the PostgreSQL database: {exc}") from exc
        try:
            async with pool.acquire() as conn:
                await pg_migrate(conn, before=before)
        except BaseException:
            await pool.close()
            raise
        return cls(pool, url, clock)

    async def companion(self) -> PgDatabase:
        """A small pool of its own, for another event loop (asyncpg's connections belong to the loop that opened
        them); the schema is this one's, already up to date."""
        try:
            pool = await asyncpg.create_pool(self.url, min_size=1, max_size=2, server_settings=SERVER_SETTINGS)
        except (OSError, asyncpg.PostgresError) as exc:
            raise DatabaseError(f"cannot connect to the PostgreSQL database: {exc}") from exc
        return PgDatabase(pool, self.url, self.clock)

    async def close(self) -> None:
        """Release the session locks and close the pool."""
        await self.coordination.close()
        await self.pool.close()

    def terminate(self) -> None:
        """Drop every connection at once, as a dying process does (tests use it to play a crash)."""
        self.coordination.terminate()
        self.pool.terminate()

    async def write(self, fn: Write[T], turn: Turn | None = None, serial: bool = True) -> T:
        """Run `fn` in one transaction on a pooled connection, recording `turn` as processed inside it; with
        `serial`, after the writers' advisory lock (the storage's read-then-write steps rely on it)."""
        async with self._writing(turn) as conn:
            return await self._transaction(conn, fn, turn, serial)

    @contextlib.asynccontextmanager
    async def _writing(self, turn: Turn | None) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection for one write; a server out of reach is StorageUnavailable (noted for /healthz),
        and a write that succeeded is noted, its turn recorded."""
        try:
            async with self.pool.acquire() as conn:
                yield conn
        except _UNAVAILABLE as exc:
            self.write_failed_at = self.clock.now()
            raise StorageUnavailable(str(exc)) from exc
        self.write_done_at = self.clock.now()
        if turn is not None:
            turn.claimed = True

    async def _transaction(self, conn: asyncpg.Connection, fn: Write[T], turn: Turn | None, serial: bool) -> T:
        # BEGIN and the writers' lock in one round trip (a simple query may hold both; the key is a constant).
        await conn.execute(f"BEGIN; SELECT pg_advisory_xact_lock({WRITER_LOCK})" if serial else "BEGIN")
        try:
            db = PgConn(conn)
            if turn is not None and not turn.claimed:
                await self._claim(db, turn)
            result = await fn(db)
            await conn.execute("COMMIT")
        except BaseException:
            if not conn.is_closed() and conn.is_in_transaction():
                await conn.execute("ROLLBACK")
            raise
        return result

    async def _claim(self, db: Conn, turn: Turn) -> None:
        try:
            await db.execute(CLAIM, (turn.channel, turn.update_id, self.clock.now()))
        except asyncpg.UniqueViolationError as exc:
            raise AlreadyProcessed(f"{turn.channel}:{turn.update_id}") from exc

    async def together(self, pairs: Sequence[tuple[str, Sequence[Any]]], turn: Turn | None = None) -> list[Row]:
        """Independent statements as ONE statement (the first ones as data-modifying WITH parts, run exactly once
        and to completion; the last one the main statement): atomic without BEGIN and COMMIT, one round trip
        instead of four, and without the writers' lock, which only read-then-write steps need."""
        parts = list(pairs)
        if turn is not None and not turn.claimed:
            parts.insert(0, (CLAIM, (turn.channel, turn.update_id, self.clock.now())))
        *first, (sql, _) = parts
        if first:
            sql = "WITH " + ", ".join(f"w{i} AS ({s})" for i, (s, _) in enumerate(first)) + " " + sql
        params = [p for _, ps in parts for p in ps]
        try:
            async with self._writing(turn) as conn:
                return list(await conn.fetch(to_pg(sql), *params))
        except asyncpg.UniqueViolationError as exc:
            if turn is not None and exc.table_name == "processed_updates":
                raise AlreadyProcessed(f"{turn.channel}:{turn.update_id}") from exc
            raise

    async def execute(self, sql: str, params: Sequence[Any] = (), turn: Turn | None = None) -> int:
        """One statement in a transaction of its own; the rows it changed."""
        return await self.write(statement(sql, params), turn)

    async def returning(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The row one self-contained writing statement returns: autocommitted, without the writers' lock."""
        try:
            async with self.pool.acquire() as conn:
                return await conn.fetchrow(to_pg(sql), *params)
        except _UNAVAILABLE as exc:
            raise StorageUnavailable(str(exc)) from exc

    async def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row of a committed read."""
        async with self.pool.acquire() as conn:
            return await conn.fetchrow(to_pg(sql), *params)

    async def peek(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """A read by key: one round trip like any other here."""
        return await self.one(sql, params)

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Every row of a committed read."""
        async with self.pool.acquire() as conn:
            return list(await conn.fetch(to_pg(sql), *params))

    async def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row of a committed read (None without a row)."""
        async with self.pool.acquire() as conn:
            return await conn.fetchval(to_pg(sql), *params)

    async def processed(self, channel: str, update_id: str) -> bool:
        """True when this update was handled before (a redelivery after a crash, or a retry)."""
        return await self.one("SELECT 1 FROM processed_updates WHERE channel = ? AND update_id = ?",
                              (channel, update_id)) is not None

    async def claim(self, turn: Turn) -> None:
        """Record the update as processed in a transaction of its own (when nothing else was stored)."""
        if not turn.claimed:
            await self.write(_nothing, turn, serial=False)

    def gone(self) -> bool:
        """Never: a server's database has no file to lose under the running bot."""
        return False

    async def healthy(self) -> bool:
        """True while the server answers a trivial query."""
        try:
            return bool(await self.value("SELECT 1") == 1)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return False

    async def state(self) -> str:
        """`ok`, `unusable` (no reads) or `unavailable: <why>` (no writes: a read-only server, a failing one)."""
        if not await self.healthy():
            return "unusable"
        if self.write_failed_at > self.write_done_at and self.clock.now() - self.write_failed_at < WRITE_TROUBLE:
            return "unavailable: writes failing"
        try:  # a real write, so a read-only server shows before a citizen's message meets it
            await self.execute("UPDATE schema_version SET version = version")
        except Exception:  # whatever stops this write stops the others too
            return "unavailable: writes failing"
        return "ok"

    async def scrub(self, vacuum: bool = False) -> None:
        """With `vacuum` (housekeeping): VACUUM the tables erasure and retention rewrite, so the dead row
        versions holding erased words leave the tables; an erasure alone leaves that to housekeeping."""
        if not vacuum:
            return
        try:
            async with self.pool.acquire() as conn:  # outside a transaction: VACUUM cannot run inside one
                await conn.execute(f"VACUUM {', '.join(ERASED_TABLES)}")
        except _UNAVAILABLE as exc:
            raise StorageUnavailable(str(exc)) from exc


async def _nothing(db: Conn) -> None:
    """A write of nothing but the processed-update record its transaction adds."""
