"""What webhook channels keep, through a SQLite connection of their own: acknowledged inbound events, OAuth
tokens, the ids of messages the bot sent, and chats a person took over.

The connection lives in one dedicated thread, so a webhook's acknowledgement never waits for the bot's
other work (the main writer's lock) and a caller that stops waiting never leaves a transaction half done:
each operation runs to its end (commit or rollback) in that thread whatever the caller does.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from bot.kernel.config import Config

from bot.store.bell import Bell
from bot.store.files import OpenedFile
from bot.store.intake import Intake

T = TypeVar("T")
BUSY_TIMEOUT = 2.0  # seconds a statement waits for another connection's write lock
INSERT_EVENT = ("INSERT INTO inbound_events (channel, msg_id, user_id, body, received_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING")


@dataclass(frozen=True)
class Inbound:
    """One stored inbound event."""

    id: int
    msg_id: str
    user_id: str
    body: str


@dataclass(frozen=True)
class Tokens:
    """A channel's OAuth tokens as stored."""

    access_token: str
    refresh_token: str
    expires_at: float


class ChannelStore:
    """Channel records over their own connection in their own thread."""

    busy: tuple[type[Exception], ...] = (sqlite3.OperationalError,)  # a write that could not happen now
    _intake: Intake | None = None
    queued: Bell | None = None  # the core storage's outbox bell: rung when messages are put back in the outbox

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="channel-store")
        self._db: sqlite3.Connection | None = None
        self.file = OpenedFile(self.path)

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, partial(fn, *args))

    async def open(self) -> ChannelStore:
        """Connect (the schema is already migrated by the core's storage)."""
        await self._run(self._open)
        self._intake = Intake(self.path)
        return self

    def _open(self) -> None:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA secure_delete = ON")  # as the core's connections: nothing it overwrites stays readable
        self._db = db

    async def close(self) -> None:
        """Close the connection and its thread."""
        if self._intake is not None:
            await asyncio.to_thread(self._intake.close)
            self._intake = None
        if self._db is not None:
            await self._run(self._db.close)
            self._db = None
        self._pool.shutdown(wait=False)

    async def _write(self, statements: list[tuple[str, tuple[Any, ...]]]) -> int:
        """Run statements in one write transaction (in the store's thread); the rows changed by the first."""
        return await self._run(self._tx, statements)

    async def _select(self, sql: str, params: tuple[Any, ...]) -> list[Sequence[Any]]:
        """The rows of one query (in the store's thread)."""
        return list(await self._run(self._rows, sql, params))

    def _tx(self, statements: list[tuple[str, tuple[Any, ...]]]) -> int:
        """Run statements in one write transaction; returns the rows changed by the first."""
        assert self._db is not None
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            changed = [db.execute(sql, params).rowcount for sql, params in statements]
            if self.file.gone():  # as the core's transactions: nothing is committed into a deleted file
                raise sqlite3.OperationalError(self.file.lost())
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return changed[0] if changed else 0

    def _rows(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        assert self._db is not None
        return list(self._db.execute(sql, params).fetchall())

    @contextlib.asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[None]:
        """Hold the lock `name` across every process sharing the database (one process uses SQLite: a no-op)."""
        yield

    @contextlib.asynccontextmanager
    async def handling(self, channel: str, user_id: str) -> AsyncIterator[Callable[[], bool] | None]:
        """Hold one user's events for this process: None when another process handles them now, else a
        check that the hold still stands (one process uses SQLite: always held)."""
        yield lambda: True

    # Inbound events
    async def store_event(self, channel: str, msg_id: str, user_id: str, body: str, within: float) -> bool:
        """Store an event durably; True once committed (new or already stored), False if not within `within` s."""
        row = (channel, msg_id, user_id, body, time.time())
        # SQLite: a thread of its own, many events per commit; other backends: one write transaction.
        job = (asyncio.wrap_future(self._intake.submit(row)) if self._intake is not None else
               self._write([(INSERT_EVENT, row)]))
        try:
            await asyncio.wait_for(job, within)
        except (TimeoutError, sqlite3.Error):
            return False  # not known to be stored: Zalo delivers it again (the msg_id dedupe keeps it once)
        except self.busy:
            return False
        return True

    async def pending_users(self, channel: str) -> list[str]:
        """Users with stored events not yet handled, oldest first."""
        rows = await self._select("SELECT user_id, min(id) AS first FROM inbound_events WHERE channel = ?"
                                  " AND status = 'pending' GROUP BY user_id ORDER BY first LIMIT 1000", (channel,))
        return [str(r[0]) for r in rows]

    async def pending_events(self, channel: str, user_id: str, limit: int = 20) -> list[Inbound]:
        """One user's stored events not yet handled, in order of arrival."""
        rows = await self._select("SELECT id, msg_id, user_id, body FROM inbound_events WHERE channel = ?"
                                  " AND user_id = ? AND status = 'pending' ORDER BY id LIMIT ?",
                                  (channel, user_id, limit))
        return [Inbound(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]

    async def mark_done(self, event_id: int) -> None:
        """An event has been handled."""
        await self._write([("UPDATE inbound_events SET status = 'done', done_at = ? WHERE id = ?",
                             (time.time(), event_id))])

    async def count_events(self, channel: str) -> dict[str, int]:
        """How many stored events are in each state."""
        rows = await self._select("SELECT status, count(*) FROM inbound_events WHERE channel = ?"
                                  " GROUP BY status", (channel,))
        return {str(r[0]): int(r[1]) for r in rows}

    # Tokens
    async def tokens(self, channel: str) -> Tokens | None:
        """The stored tokens, or None."""
        rows = await self._select("SELECT access_token, refresh_token, expires_at FROM channel_tokens"
                                  " WHERE channel = ?", (channel,))
        return Tokens(str(rows[0][0]), str(rows[0][1]), float(rows[0][2])) if rows else None

    async def save_tokens(self, channel: str, tokens: Tokens) -> None:
        """Replace the stored tokens (committed before the caller uses them)."""
        await self._write([(
            "INSERT INTO channel_tokens (channel, access_token, refresh_token, expires_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel) DO UPDATE SET access_token = excluded.access_token,"
            " refresh_token = excluded.refresh_token, expires_at = excluded.expires_at,"
            " updated_at = excluded.updated_at",
            (channel, tokens.access_token, tokens.refresh_token, tokens.expires_at, time.time()))])

    # Messages sent and takeovers
    async def note_sent(self, channel: str, message_id: str) -> None:
        """Remember a message id the bot sent (its echo is then not a person writing)."""
        await self._write([("INSERT INTO sent_messages (channel, message_id, at) VALUES (?, ?, ?)"
                             " ON CONFLICT DO NOTHING", (channel, message_id, time.time()))])

    async def was_sent(self, channel: str, message_id: str) -> bool:
        """True when the bot sent this message."""
        return bool(await self._select("SELECT 1 FROM sent_messages WHERE channel = ? AND message_id = ?",
                                       (channel, message_id)))

    async def take_over(self, channel: str, user_id: str, until: float) -> None:
        """A person answers this user themselves until `until` (extended, never shortened)."""
        await self._write([(
            "INSERT INTO takeovers (channel, user_id, until) VALUES (?, ?, ?) ON CONFLICT (channel, user_id)"
            " DO UPDATE SET until = CASE WHEN takeovers.until > excluded.until"
            " THEN takeovers.until ELSE excluded.until END", (channel, user_id, until))])

    async def taken_over(self, channel: str, user_id: str) -> bool:
        """True while a person is answering this user."""
        return bool(await self._select("SELECT 1 FROM takeovers WHERE channel = ? AND user_id = ?"
                                       " AND until > ?", (channel, user_id, time.time())))

    async def takeovers(self, channel: str) -> list[tuple[str, float]]:
        """Users a person is answering now, with when the bot may speak again."""
        rows = await self._select("SELECT user_id, until FROM takeovers WHERE channel = ? AND until > ?"
                                  " ORDER BY until", (channel, time.time()))
        return [(str(r[0]), float(r[1])) for r in rows]

    async def requeue_undeliverable(self, channel: str, chat_id: str, error_prefixes: tuple[str, ...]) -> int:
        """Send again the messages to this chat that failed with an error starting with one of the prefixes."""
        likes = " OR ".join("last_error LIKE ?" for _ in error_prefixes)
        where = f"channel = ? AND chat_id = ? AND status = 'undeliverable' AND ({likes})"
        params = (channel, chat_id, *(p + "%" for p in error_prefixes))
        if not await self._select(f"SELECT 1 FROM outbox WHERE {where} LIMIT 1", params):
            return 0  # the usual case: no write transaction for it
        count = await self._write([(
            f"UPDATE outbox SET status = 'pending', next_attempt_at = ?, attempts = 0 WHERE {where}",
            (time.time(), *params))])
        if count and self.queued is not None:
            self.queued.ring()
        return count


def channel_store(config: Config, queued: Bell | None = None) -> ChannelStore:
    """The channel store for the configured database (not opened yet), ringing `queued` when it puts messages
    back in the outbox."""
    if config.db_url:
        from bot.store.channel_store_pg import PgChannelStore

        store: ChannelStore = PgChannelStore(config.db_url)
    else:
        store = ChannelStore(config.db_path)
    store.queued = queued
    return store
