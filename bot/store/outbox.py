"""The outbox: messages owed to people, claimed per chat in order, with back-off and an uncertain state.

Who may send which message is the coordination's business (bot.store.coordination for one process,
bot.store.pg_claims where processes share the database); the outbox only queues and settles.
"""

from __future__ import annotations

import json
from typing import Any

from bot.kernel.models import Buttons, OutboxItem, Progress
from bot.store.database import Database, Row, Turn
from bot.store.dbapi import Conn

OUTBOX_COLS = ("id, channel, chat_id, kind, ticket_id, text, status, attempts, buttons, reply_to, claimed_by,"
               " parts_sent, message_id")
CITIZEN_LANE, OFFICER_LANE = "citizen", "officer"
# Only the oldest open message of each chat is ever due, so one chat's messages arrive in order and a
# chat that is waiting out a rate limit holds up nobody else.
HEAD = ("NOT EXISTS (SELECT 1 FROM outbox o2 WHERE o2.channel = outbox.channel AND o2.chat_id = outbox.chat_id"
        " AND o2.status IN ('pending', 'uncertain') AND o2.id < outbox.id)")
# A settlement records the progress it was given, or keeps the one recorded.
_KEEP_PARTS = "parts_sent = COALESCE(?, parts_sent), message_id = COALESCE(?, message_id)"


def item_of(row: Row) -> OutboxItem:
    """An outbox row (selected with OUTBOX_COLS) as an item."""
    return OutboxItem(**dict(row))


def _parts(progress: Progress | None) -> tuple[int | None, str | None]:
    return (progress.sent, progress.first) if progress is not None else (None, None)


def due_where(channels: tuple[str, ...]) -> str:
    """The condition of the due head messages of a lane on these channels (lane, *channels, now as parameters)."""
    marks = ", ".join("?" for _ in channels)
    return (f"status IN ('pending', 'uncertain') AND lane = ? AND channel IN ({marks}) AND next_attempt_at <= ?"
            f" AND {HEAD}")


async def due_items(database: Database, lane: str, channels: tuple[str, ...], limit: int) -> list[OutboxItem]:
    """The head message of each chat in `lane` whose next attempt is due, oldest first."""
    if not channels:
        return []
    rows = await database.all(f"SELECT {OUTBOX_COLS} FROM outbox WHERE {due_where(channels)} ORDER BY id LIMIT ?",
                              (lane, *channels, database.clock.now(), limit))
    return [item_of(r) for r in rows]


async def enqueue_for_ticket(db: Conn, ticket_id: int, kind: str, text: str, now: float) -> None:
    """Queue a message to the chat a ticket came from (nothing when that kind was queued for it before)."""
    await db.execute(
        "INSERT INTO outbox (channel, chat_id, kind, ticket_id, text, next_attempt_at, created_at)"
        " SELECT channel, chat_id, ?, id, ?, CAST(? AS DOUBLE PRECISION), CAST(? AS DOUBLE PRECISION)"
        " FROM tickets WHERE id = ? ON CONFLICT DO NOTHING", (kind, text, now, now, ticket_id))


async def queue_message(db: Conn, place: tuple[str, str], kind: str, text: str, lane: str, now: float) -> None:
    """Queue a message to one (channel, chat), due now."""
    await db.execute("INSERT INTO outbox (channel, chat_id, kind, text, lane, next_attempt_at, created_at)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?)", (*place, kind, text, lane, now, now))


class Outbox:
    """Queue, claim and settle outgoing messages."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def enqueue(self, channel: str, chat_id: str, kind: str, text: str, ticket_id: int | None = None,
                      buttons: Buttons | None = None, lane: str = CITIZEN_LANE, delay: float = 0.0,
                      status: str = "pending", turn: Turn | None = None, progress: Progress | None = None) -> None:
        """Queue a message to any chat (a reply that failed after `progress`, a notice to the officers...)."""
        now = self.database.clock.now()
        done = progress or Progress()  # a reply handed over part way starts after its sent parts
        await self.database.execute(
            "INSERT INTO outbox (channel, chat_id, kind, ticket_id, text, buttons, lane, status, next_attempt_at,"
            " created_at, parts_sent, message_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (channel, chat_id, kind, ticket_id, text, json.dumps(buttons or [], ensure_ascii=False), lane, status,
             now + delay, now, done.sent, done.first), turn)
        self.database.queued.ring()

    async def officer_note(self, destination: tuple[str, str], ticket_id: int, kind: str, text: str,
                           reply_to: str | None) -> None:
        """Queue a note to the officers' chat after a ticket's post (as a reply to it where the channel can)."""
        now = self.database.clock.now()
        await self.database.execute(
            "INSERT INTO outbox (channel, chat_id, kind, ticket_id, text, lane, reply_to, next_attempt_at, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (*destination, kind, ticket_id, text, OFFICER_LANE, reply_to, now, now))
        self.database.queued.ring()

    async def due(self, lane: str, channels: tuple[str, ...], limit: int = 50) -> list[OutboxItem]:
        """The head message of each chat in `lane` whose next attempt is due, oldest first."""
        return await due_items(self.database, lane, channels, limit)

    async def claim(self, lane: str, channels: tuple[str, ...], limit: int = 50) -> list[OutboxItem]:
        """The due head messages, claimed for this process to send (see the coordination)."""
        if self.database.gone() or not channels:  # a send now could not be recorded, and would repeat every tick
            return []
        return await self.database.coordination.claim_outbox(self.database, lane, channels, limit)

    def claim_stands(self, item: OutboxItem) -> bool:
        """False once the claim on `item` may have passed to another process: do not start sending it."""
        return self.database.coordination.holds(item.claimed_by)

    async def items(self, ticket_id: int) -> list[OutboxItem]:
        """Every message about one ticket, oldest first."""
        rows = await self.database.all(f"SELECT {OUTBOX_COLS} FROM outbox WHERE ticket_id = ? ORDER BY id",
                                       (ticket_id,))
        return [item_of(r) for r in rows]

    async def deliveries(self, ticket_id: int) -> list[dict[str, Any]]:
        """Every outbox message about a ticket, with its state and last error, oldest first."""
        rows = await self.database.all("SELECT id, channel, chat_id, kind, lane, text, status, attempts, last_error,"
                                       " created_at, sent_at FROM outbox WHERE ticket_id = ? ORDER BY id",
                                       (ticket_id,))
        return [dict(r) for r in rows]

    async def mark_sent(self, item_id: int, message_id: str | None = None) -> None:
        """A delivery went through."""
        await self.database.execute("UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1,"
                                    " message_id = ?, claimed_by = NULL WHERE id = ?",
                                    (self.database.clock.now(), message_id, item_id))

    async def mark_parts(self, item_id: int, progress: Progress) -> None:
        """Record the parts of a message the platform has accepted so far."""
        await self.database.execute("UPDATE outbox SET parts_sent = ?, message_id = ? WHERE id = ?"
                                    " AND status IN ('pending', 'uncertain')", (*_parts(progress), item_id))

    async def mark_retry(self, item_id: int, error: str, delay: float, uncertain: bool = False,
                         progress: Progress | None = None) -> None:
        """A delivery failed for now; try again after `delay` seconds (uncertain: it may have arrived)."""
        status = "uncertain" if uncertain else "pending"
        # Only while unsent: another process may have taken the message over and sent it meanwhile.
        await self.database.execute(
            "UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
            f" claimed_by = NULL, {_KEEP_PARTS} WHERE id = ? AND status IN ('pending', 'uncertain')",
            (status, error[:500], self.database.clock.now() + delay, *_parts(progress), item_id))

    async def mark_undeliverable(self, item_id: int, error: str, progress: Progress | None = None) -> None:
        """The recipient cannot be reached (blocked the bot, chat gone, outside the reply window)."""
        # The parts accepted stay recorded: a message sent again (Zalo's 7-day window) starts after them.
        await self.database.execute(
            "UPDATE outbox SET status = 'undeliverable', attempts = attempts + 1, last_error = ?, claimed_by = NULL,"
            f" {_KEEP_PARTS} WHERE id = ? AND status IN ('pending', 'uncertain')",
            (error[:500], *_parts(progress), item_id))

    async def requeue_undeliverable(self, channel: str, chat_id: str, error_prefixes: tuple[str, ...]) -> int:
        """Send again the messages to this chat that failed with an error starting with one of the prefixes."""
        likes = " OR ".join("last_error LIKE ?" for _ in error_prefixes)
        where = f"channel = ? AND chat_id = ? AND status = 'undeliverable' AND ({likes})"
        params = (channel, chat_id, *(p + "%" for p in error_prefixes))
        if await self.database.one(f"SELECT 1 FROM outbox WHERE {where} LIMIT 1", params) is None:
            return 0  # the usual case: no write transaction for it
        count = await self.database.execute(
            f"UPDATE outbox SET status = 'pending', next_attempt_at = ?, attempts = 0 WHERE {where}",
            (self.database.clock.now(), *params))
        if count:
            self.database.queued.ring()
        return count

    async def counts(self) -> dict[str, int]:
        """How many outbox messages are in each state."""
        rows = await self.database.all("SELECT status, count(*) FROM outbox GROUP BY status")
        return {str(r[0]): int(r[1]) for r in rows}
