"""The connection facade every storage mixin writes SQL through, and its PostgreSQL implementation.

Storage code calls `db.execute(sql, params)` with `?` placeholders, then awaits it (for `rowcount`) or uses
it as `async with db.execute(...) as cur` (for `fetchone()` / `fetchall()`). SQLite's `InThread`
(sqlite_thread.py) does this on the writer's thread; `PgConn` does the same over an asyncpg connection.
"""

from __future__ import annotations

import functools
from collections.abc import Generator, Sequence
from typing import Any, Protocol

import asyncpg

from bot.kernel.config import is_pg_url

__all__ = ["Conn", "Cursor", "PgConn", "is_pg_url", "to_pg"]



class Conn(Protocol):
    """What the storage mixins need from a connection inside a transaction."""

    def execute(self, sql: str, params: Any = ..., /) -> Any:
        """Run one statement; the result is awaitable and an async context manager yielding a cursor."""

    async def execute_fetchall(self, sql: str, params: Any = ..., /) -> Any:
        """Run one statement and return all its rows in one step (one trip to SQLite's thread)."""


@functools.lru_cache(maxsize=2048)  # the statements are the repositories' literals: a few hundred at most
def to_pg(sql: str) -> str:
    """Rewrite `?` placeholders as `$1..$n`, leaving quoted strings and identifiers alone."""
    out: list[str] = []
    number, quote = 0, ""
    for char in sql:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "?":
            number += 1
            out.append(f"${number}")
            continue
        out.append(char)
    return "".join(out)


def _count(status: str) -> int:
    """The row count in a command status such as `UPDATE 3` or `INSERT 0 1`."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def _returns_rows(sql: str) -> bool:
    head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
    return head in ("SELECT", "WITH", "VALUES") or " RETURNING " in sql.upper()


class Cursor:
    """The outcome of one statement, on either backend: its rows (fetched already) and how many rows it touched."""

    def __init__(self, rows: Sequence[Any], rowcount: int) -> None:
        self.rows = list(rows)
        self.rowcount = rowcount
        self._next = 0

    async def fetchone(self) -> Any:
        """The next row, or None."""
        if self._next >= len(self.rows):
            return None
        self._next += 1
        return self.rows[self._next - 1]

    async def fetchall(self) -> list[Any]:
        """The remaining rows."""
        rest, self._next = self.rows[self._next:], len(self.rows)
        return rest


class _Pending:
    """A statement not run yet: awaiting it, or entering it with `async with`, runs it once."""

    def __init__(self, conn: asyncpg.Connection, sql: str, params: Sequence[Any]) -> None:
        self.conn, self.sql, self.params = conn, sql, params

    async def _run(self) -> Cursor:
        sql = to_pg(self.sql)
        if _returns_rows(self.sql):
            rows = await self.conn.fetch(sql, *self.params)
            return Cursor(rows, len(rows))
        status = await self.conn.execute(sql, *self.params)
        return Cursor([], _count(str(status)))

    def __await__(self) -> Generator[Any, None, Cursor]:
        return self._run().__await__()

    async def __aenter__(self) -> Cursor:
        return await self._run()

    async def __aexit__(self, *exc: object) -> None:
        return None


class PgConn:
    """An asyncpg connection speaking the facade's dialect (`?` placeholders, cursors with rowcount)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> _Pending:
        """Prepare one statement; it runs when awaited or entered."""
        return _Pending(self.conn, sql, tuple(params))

    async def execute_fetchall(self, sql: str, params: Sequence[Any] = (), /) -> list[asyncpg.Record]:
        """Run one statement and return all its rows."""
        return (await _Pending(self.conn, sql, tuple(params))).rows
