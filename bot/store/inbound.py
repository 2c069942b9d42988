"""What webhook channels keep: acknowledged inbound events, OAuth tokens, the ids of messages the bot sent, and
chats a person took over.

An acknowledgement waits for its event to be committed, together with the events arriving with it
(`bot/store/batches.py`); with the webhooks served on a loop of their own, by a writer of their own there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.kernel.loops import LoopThread
from bot.store.batches import Batches
from bot.store.database import Database, statement

log = logging.getLogger(__name__)


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
        self._batches = Batches(database)
        self._apart: tuple[LoopThread, Database] | None = None

    async def acknowledge_on(self, thread: LoopThread) -> None:
        """From now on, commit acknowledged events on `thread`'s loop, with the database's writer for that loop
        (`Database.companion`), so an acknowledgement served there never waits for the loop calling this."""
        companion = await thread.run(self.database.companion())
        self._batches = Batches(companion, thread.loop)
        if companion is not self.database:  # a connection of its own (PostgreSQL), closed with the events
            self._apart = (thread, companion)

    async def store(self, channel: str, msg_id: str, user_id: str, body: str, within: float) -> bool:
        """Store an event durably; True once committed (new or already stored), False if not within `within` s."""
        return await self._batches.store((channel, msg_id, user_id, body, self.database.clock.now()), within)

    async def close(self) -> None:
        """Finish the batch being written (its events were acknowledged or are about to be), then close the writer
        of their own."""
        await self._batches.close()
        if self._apart is not None:
            thread, companion = self._apart
            self._apart = None
            await thread.run(companion.close())

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
