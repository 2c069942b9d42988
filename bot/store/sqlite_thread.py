"""A SQLite connection on a thread of its own: one statement, or a whole write transaction, is one trip there.

The event loop never blocks on SQLite (a busy file can make a statement wait for seconds), and a transaction
costs one hand-over to the thread and one back, whatever number of statements it runs: the write function
runs there, against `InThread`, whose calls complete without suspending (a write awaits only its connection,
tests/test_store_writes.py checks that).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Generator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from bot.store.dbapi import Cursor

T = TypeVar("T")
Row = sqlite3.Row
_Job = tuple[Callable[[sqlite3.Connection], Any], "concurrent.futures.Future[Any]"] | None  # None: stop


def run_statement(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> Cursor:
    """Run one statement on `conn` and collect its outcome (on the connection's thread)."""
    cur = conn.execute(sql, tuple(params))
    try:
        return Cursor(cur.fetchall(), cur.rowcount)
    finally:
        cur.close()


def commit(conn: sqlite3.Connection) -> None:
    """End the open transaction on `conn`, keeping its changes."""
    conn.execute("COMMIT")


class _Now:
    """A statement already run: awaiting it, or entering it with `async with`, gives its outcome at once."""

    def __init__(self, ran: Cursor) -> None:
        self.ran = ran

    def __await__(self) -> Generator[Any, None, Cursor]:
        return self.ran
        yield  # a generator that finishes without suspending

    async def __aenter__(self) -> Cursor:
        return self.ran

    async def __aexit__(self, *exc: object) -> None:
        return None


class InThread:
    """The connection as a write function sees it on the connection's thread: every call completes at once."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> _Now:
        """Run one statement now."""
        return _Now(run_statement(self.conn, sql, params))

    async def execute_fetchall(self, sql: str, params: Sequence[Any] = (), /) -> list[Row]:
        """Run one statement now and return all its rows."""
        return run_statement(self.conn, sql, params).rows


def drive(work: Awaitable[T]) -> T:
    """The result of a write that awaits only `InThread` calls: it finishes without ever suspending."""
    steps = work.__await__()
    try:
        next(steps)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    close = getattr(steps, "close", None)
    if close is not None:
        close()
    raise RuntimeError("a database write awaited something other than its connection")


class _Later:
    """A statement for the connection's thread: it runs when awaited or entered, in one trip."""

    def __init__(self, owner: SqliteThread, sql: str, params: Sequence[Any]) -> None:
        self.owner, self.sql, self.params = owner, sql, tuple(params)

    async def _run(self) -> Cursor:
        return await self.owner.run(lambda conn: run_statement(conn, self.sql, self.params))

    def __await__(self) -> Generator[Any, None, Cursor]:
        return self._run().__await__()

    async def __aenter__(self) -> Cursor:
        return await self._run()

    async def __aexit__(self, *exc: object) -> None:
        return None


class SqliteThread:
    """One SQLite connection and the one thread that uses it, taking work from any event loop or thread.

    Work marked urgent (a webhook's events being acknowledged) is taken before the work already waiting. The
    order is kept here, on the connection's thread, not by the callers' event loops: a loop busy with matching
    or a reload never holds the connection between one caller's turn and its work.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._urgent: deque[_Job] = deque()
        self._waiting: deque[_Job] = deque()
        self._ready = threading.Condition()
        self.closed = False
        self._thread = threading.Thread(target=self._work, name="sqlite", daemon=True)
        self._thread.start()

    @classmethod
    async def connect(cls, path: Path | str, timeout: float = 10.0) -> SqliteThread:
        """Open the file (autocommit: transactions are begun explicitly) on a new thread."""
        opened: concurrent.futures.Future[sqlite3.Connection] = concurrent.futures.Future()

        def open_it() -> None:
            try:
                conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
                conn.row_factory = sqlite3.Row
                opened.set_result(conn)
            except BaseException as exc:  # handed to the caller
                opened.set_exception(exc)
        threading.Thread(target=open_it, name="sqlite-open", daemon=True).start()
        return cls(await asyncio.wrap_future(opened))

    def _work(self) -> None:
        while True:
            with self._ready:
                while not self._urgent and not self._waiting:
                    self._ready.wait()
                job = (self._urgent or self._waiting).popleft()
            if job is None:
                return
            fn, done = job
            if done.set_running_or_notify_cancel():  # its caller may have stopped waiting before its turn
                try:
                    done.set_result(fn(self._conn))
                except BaseException as exc:  # handed to the caller
                    done.set_exception(exc)

    async def run(self, fn: Callable[[sqlite3.Connection], T], urgent: bool = False) -> T:
        """`fn(connection)` on the connection's thread, after the work already waiting (unless `urgent`)."""
        if self.closed:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        done: concurrent.futures.Future[T] = concurrent.futures.Future()
        with self._ready:
            (self._urgent if urgent else self._waiting).append((fn, done))
            self._ready.notify()
        return await asyncio.wrap_future(done)

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> _Later:
        """One statement, run when awaited (for `rowcount`) or entered with `async with` (for its rows)."""
        return _Later(self, sql, params)

    async def execute_fetchall(self, sql: str, params: Sequence[Any] = (), /) -> list[Row]:
        """Run one statement and return all its rows, in one trip."""
        return (await self.execute(sql, params)).rows

    async def commit(self) -> None:
        """End the open transaction, keeping its changes (nothing when none is open)."""
        await self.run(lambda conn: conn.commit())

    async def rollback(self) -> None:
        """End the open transaction, dropping its changes (nothing when none is open)."""
        await self.run(lambda conn: conn.rollback())

    async def close(self) -> None:
        """Close the connection, then let its thread end."""
        if self.closed:
            return
        try:
            await self.run(lambda conn: conn.close())
        finally:
            self.closed = True
            with self._ready:
                self._waiting.append(None)
                self._ready.notify()
