"""The PostgreSQL connection layer: a pool, migrations, transactions with the processed-update claim inside.

Reads outside a transaction take any pooled connection: under READ COMMITTED they only ever see committed
rows, as the SQLite reader does. Write transactions take a transaction-level advisory lock first, so
writers are serialised across every process sharing the database, the guarantee SQLite's single writer
gives and the storage's read-then-write steps (one pending ticket per question, numbered corrections) rely on.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from bot.store.dbapi import PgConn, to_pg
from bot.store.files import OpenedFile
from bot.store.migrate import known_version
from bot.store.pg_locks import SessionLocks
from bot.store.pg_tools import APP_NAME, MigrationBackup
from bot.store.schema import SCHEMA_VERSION
from bot.store.schema_pg import PG_MIGRATIONS
from bot.store.sqlite import AlreadyProcessed, Database, DatabaseError, StorageUnavailable, Turn

log = logging.getLogger(__name__)
# The tables whose rows erasure and retention empty or delete: their old row versions hold citizens' words.
ERASED_TABLES = ("questions", "tickets", "outbox", "admin_actions", "conversations", "menus", "contacts",
                 "inbound_events", "takeovers", "learned_items", "sent_messages", "processed_updates",
                 "survey_offers", "feedback_items", "feedback_drafts")
WRITER_LOCK = 0x7061706962  # advisory lock key held by every write transaction ("papib")
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
        await conn.execute("SELECT pg_advisory_unlock($1)", WRITER_LOCK)


class PgDatabase(Database):
    """A connection pool; the same transaction and read methods as the SQLite `Database`."""

    shared = True

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self.pool = pool
        self.url = url
        self.path = None  # type: ignore[assignment]
        self.file = OpenedFile(None)
        self.locks = SessionLocks(url)  # polling locks, outbox claims: released by the server if this process dies
        self._polling: set[str] = set()

    @classmethod
    async def open(cls, path: Any, before: MigrationBackup | None = None) -> Any:
        """Connect to the server at the URL `path` and bring the schema up to date (dumping it first to `before`)."""
        url = str(path)
        try:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=10, server_settings=SERVER_SETTINGS)
        except (OSError, asyncpg.PostgresError) as exc:
            raise DatabaseError(f"cannot connect to the PostgreSQL database: {exc}") from exc
        try:
            async with pool.acquire() as conn:
                await pg_migrate(conn, before=before)
        except BaseException:
            await pool.close()
            raise
        return cls(pool, url)

    async def close(self) -> None:
        """Release the polling locks and close the pool."""
        await self.locks.close()
        await self.pool.close()

    async def poll_lock(self, name: str) -> bool:
        """Take or keep the session lock `name` (see bot.store.lease); False while another process holds it.

        When the server cannot be reached, the process that was polling goes on (the core then holds the
        updates and tells people, as with one process) and the others keep standing by.
        """
        try:
            held = await self.locks.try_lock(name) is not None
        except StorageUnavailable as exc:
            log.warning("polling lock %s not checked: %s", name, exc)
            return name in self._polling
        if held:
            self._polling.add(name)
        else:
            self._polling.discard(name)
        return held

    async def _claim_holder(self) -> int | None:
        """The lock key marking this process's outbox claims, or None (claims then rest on the lease alone)."""
        try:
            return await self.locks.own_key()
        except StorageUnavailable as exc:
            log.warning("outbox claims not marked with this process's lock: %s", exc)
            return None

    def _holds_claim(self, key: int) -> bool:
        """Whether `key` is this process's claim key and the connection holding it is still open."""
        return self.locks.holds_own(key)

    @contextlib.asynccontextmanager
    async def _tx(self, turn: Turn | None = None) -> AsyncIterator[Any]:
        """A write transaction on one pooled connection; records `turn` as processed inside it."""
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITER_LOCK)
                db = PgConn(conn)
                if turn is not None and not turn.claimed:
                    await self._claim(db, turn)
                yield db
        except _UNAVAILABLE as exc:
            self.write_failed_at = time.time()
            raise StorageUnavailable(str(exc)) from exc
        self.write_done_at = time.time()
        if turn is not None:
            turn.claimed = True

    @contextlib.asynccontextmanager
    async def _try_lock(self, key: int) -> AsyncIterator[bool]:
        """Whether this process got the session advisory lock `key` (held until the block ends); never waits."""
        async with self.pool.acquire() as conn:
            held = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", key))
            try:
                yield held
            finally:
                if held:
                    await conn.execute("SELECT pg_advisory_unlock($1)", key)

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

    async def _claim(self, db: Any, turn: Turn) -> None:
        try:
            await db.execute("INSERT INTO processed_updates (channel, update_id, at) VALUES (?, ?, ?)",
                             (turn.channel, turn.update_id, time.time()))
        except asyncpg.UniqueViolationError as exc:
            raise AlreadyProcessed(f"{turn.channel}:{turn.update_id}") from exc

    async def _returning(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        """The row one self-contained writing statement returns: autocommitted, without the writers' lock."""
        try:
            async with self.pool.acquire() as conn:
                return await conn.fetchrow(to_pg(sql), *params)
        except _UNAVAILABLE as exc:
            raise StorageUnavailable(str(exc)) from exc

    async def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        async with self.pool.acquire() as conn:
            return await conn.fetchrow(to_pg(sql), *params)

    async def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        async with self.pool.acquire() as conn:
            return list(await conn.fetch(to_pg(sql), *params))

    async def healthy(self) -> bool:
        """True while the server answers a trivial query."""
        try:
            return bool(await self._value("SELECT 1") == 1)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return False
