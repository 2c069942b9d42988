"""What webhook channels keep: acknowledged inbound events, OAuth tokens, the ids of messages the bot sent, and
chats a person took over.

An acknowledgement waits for its event to be committed. Events arriving together are committed together:
while one batch is being written the next one gathers, so a burst of webhooks costs a few transactions, not
one each. The batch is written by a task of its own, so a webhook that stops waiting (its platform's
deadline) never cuts a transaction short; the event is then stored anyway, and its redelivery deduplicated.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from bot.store.database import Database, Write, statement
from bot.store.dbapi import Conn

log = logging.getLogger(__name__)
BATCH = 200  # events at most in one commit
INSERT_EVENT = ("INSERT INTO inbound_events (channel, msg_id, user_id, body, received_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING")
EventRow = tuple[str, str, str, str, float]


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


class InboundEvents:
    """The `inbound_events` table: stored first, handled in order per user, marked done."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._waiting: list[tuple[EventRow, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def store(self, channel: str, msg_id: str, user_id: str, body: str, within: float) -> bool:
        """Store an event durably; True once committed (new or already stored), False if not within `within` s."""
        committed: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append(((channel, msg_id, user_id, body, self.database.clock.now()), committed))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches())
        try:
            return await asyncio.wait_for(committed, within)
        except TimeoutError:
            return False  # not known to be stored: the platform delivers it again (the msg_id dedupe keeps it once)
        except Exception as exc:  # whatever kept the batch from its commit: the same
            log.warning("an inbound %s event was not stored: %s", channel, exc)
            return False

    async def _write_batches(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:BATCH], self._waiting[BATCH:]
            try:
                await self.database.write(_inserting([row for row, _ in batch]), serial=False)
            except Exception as exc:
                for _, committed in batch:
                    if not committed.done():  # a caller that stopped waiting has cancelled it
                        committed.set_exception(exc)
                continue
            for _, committed in batch:
                if not committed.done():
                    committed.set_result(True)

    async def close(self) -> None:
        """Finish the batch being written (its events were acknowledged or are about to be)."""
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)

    async def pending_users(self, channel: str) -> list[str]:
        """Users with stored events not yet handled, oldest first."""
        rows = await self.database.all("SELECT user_id, min(id) AS first FROM inbound_events WHERE channel = ?"
                                       " AND status = 'pending' GROUP BY user_id ORDER BY first LIMIT 1000", (channel,))
        return [str(r[0]) for r in rows]

    async def pending_events(self, channel: str, user_id: str, limit: int = 20) -> list[Inbound]:
        """One user's stored events not yet handled, in order of arrival."""
        rows = await self.database.all("SELECT id, msg_id, user_id, body FROM inbound_events WHERE channel = ?"
                                       " AND user_id = ? AND status = 'pending' ORDER BY id LIMIT ?",
                                       (channel, user_id, limit))
        return [Inbound(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]

    async def mark_done(self, event_id: int) -> None:
        """An event has been handled."""
        await self.database.write(statement("UPDATE inbound_events SET status = 'done', done_at = ? WHERE id = ?",
                                            (self.database.clock.now(), event_id)), serial=False)

    async def counts(self, channel: str) -> dict[str, int]:
        """How many stored events are in each state."""
        rows = await self.database.all("SELECT status, count(*) FROM inbound_events WHERE channel = ?"
                                       " GROUP BY status", (channel,))
        return {str(r[0]): int(r[1]) for r in rows}


def _inserting(rows: list[EventRow]) -> Write[None]:
    """The write storing a batch of events (those stored before are left as they are)."""
    async def insert(db: Conn) -> None:
        for row in rows:
            await db.execute(INSERT_EVENT, row)
    return insert


class ChannelTokens:
    """The `channel_tokens` table: each channel's OAuth tokens."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def get(self, channel: str) -> Tokens | None:
        """The stored tokens, or None."""
        row = await self.database.one("SELECT access_token, refresh_token, expires_at FROM channel_tokens"
                                      " WHERE channel = ?", (channel,))
        return Tokens(str(row[0]), str(row[1]), float(row[2])) if row else None

    async def save(self, channel: str, tokens: Tokens) -> None:
        """Replace the stored tokens (committed before the caller uses them)."""
        await self.database.execute(
            "INSERT INTO channel_tokens (channel, access_token, refresh_token, expires_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel) DO UPDATE SET access_token = excluded.access_token,"
            " refresh_token = excluded.refresh_token, expires_at = excluded.expires_at,"
            " updated_at = excluded.updated_at",
            (channel, tokens.access_token, tokens.refresh_token, tokens.expires_at, self.database.clock.now()))
