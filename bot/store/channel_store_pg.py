"""The channel store over PostgreSQL: a small pool of its own, so a webhook's ack never waits on the bot's work.

The SQL is `ChannelStore`'s; only the two primitives (a write transaction, a query) differ. A caller that
stops waiting cancels its statement and the transaction rolls back: nothing is left half done.

Processes sharing the database take turns per user: whoever handles a user's stored events holds the
session advisory lock `inbound:<channel>:<user>` on a connection of its own (bot.store.pg_locks), so one user's
events are handled by one process at a time, in order, and a process that dies frees its users at once.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import asyncpg

from bot.store.channel_store import ChannelStore
from bot.store.dbapi import PgConn, to_pg
from bot.store.pg_locks import SessionLocks
from bot.store.postgres import SERVER_SETTINGS
from bot.store.sqlite import StorageUnavailable


class PgChannelStore(ChannelStore):
    """Channel records over a dedicated asyncpg pool."""

    busy = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)

    def __init__(self, url: str) -> None:  # no thread, no SQLite connection
        self.url = url
        self._pg: asyncpg.Pool | None = None
        self.locks = SessionLocks(url)  # which users' events this process is handling

    async def open(self) -> PgChannelStore:
        """Connect (the schema is already migrated by the core's storage)."""
        self._pg = await asyncpg.create_pool(self.url, min_size=1, max_size=4, server_settings=SERVER_SETTINGS)
        return self

    async def close(self) -> None:
        """Release the users' locks and close the pool."""
        await self.locks.close()
        if self._pg is not None:
            await self._pg.close()
            self._pg = None

    @contextlib.asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[None]:
        """Hold a session advisory lock named `name` (waiting for another process to release it)."""
        assert self._pg is not None
        key = zlib.crc32(name.encode())
        async with self._pg.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", key)
            try:
                yield
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", key)

    @contextlib.asynccontextmanager
    async def handling(self, channel: str, user_id: str) -> AsyncIterator[Callable[[], bool] | None]:
        """Hold one user's events for this process: None when another process handles them now (or the
        server cannot be reached), else a check that the hold still stands (its connection is alive)."""
        name = f"inbound:{channel}:{user_id}"
        try:
            generation = await self.locks.try_lock(name)
        except StorageUnavailable:
            generation = None
        if generation is None:
            yield None
            return
        try:
            yield lambda: self.locks.alive(generation)
        finally:
            await self.locks.unlock(name, generation)

    async def _write(self, statements: list[tuple[str, tuple[Any, ...]]]) -> int:
        """Run statements in one transaction; the rows changed by the first."""
        assert self._pg is not None
        async with self._pg.acquire() as conn, conn.transaction():
            db = PgConn(conn)
            changed = [(await db.execute(sql, params)).rowcount for sql, params in statements]
        return changed[0] if changed else 0

    async def _select(self, sql: str, params: tuple[Any, ...]) -> list[Sequence[Any]]:
        """The rows of one query."""
        assert self._pg is not None
        async with self._pg.acquire() as conn:
            return list(await conn.fetch(to_pg(sql), *params))
