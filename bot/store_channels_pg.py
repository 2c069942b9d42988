"""The channel store over PostgreSQL: a small pool of its own, so a webhook's ack never waits on the bot's work.

The SQL is `ChannelStore`'s; only the two primitives (a write transaction, a query) differ. A caller that
stops waiting cancels its statement and the transaction rolls back: nothing is left half done.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg

from bot.db_pg import SERVER_SETTINGS
from bot.dbapi import PgConn, to_pg
from bot.store_channels import ChannelStore


class PgChannelStore(ChannelStore):
    """Channel records over a dedicated asyncpg pool."""

    busy = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)

    def __init__(self, url: str) -> None:  # no thread, no SQLite connection
        self.url = url
        self._pg: asyncpg.Pool | None = None

    async def open(self) -> PgChannelStore:
        """Connect (the schema is already migrated by the core's storage)."""
        self._pg = await asyncpg.create_pool(self.url, min_size=1, max_size=4, server_settings=SERVER_SETTINGS)
        return self

    async def close(self) -> None:
        """Close the pool."""
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
