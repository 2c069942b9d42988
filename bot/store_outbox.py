"""The outbox: messages owed to people, claimed per chat in order, with back-off and an uncertain state."""

from __future__ import annotations

import json
import time

from bot.db import Database, Row, Turn
from bot.dbapi import Conn
from bot.models import Buttons, OutboxItem

OUTBOX_COLS = "id, channel, chat_id, kind, ticket_id, text, status, attempts, buttons, reply_to"
CITIZEN_LANE, OFFICER_LANE = "citizen", "officer"
CLAIM_LEASE = 300.0  # seconds a claimed message is left to its sender (longer than any send's timeouts)
# Only the oldest open message of each chat is ever due, so one chat's messages arrive in order and a
# chat that is waiting out a rate limit holds up nobody else.
_HEAD = ("NOT EXISTS (SELECT 1 FROM outbox o2 WHERE o2.channel = outbox.channel AND o2.chat_id = outbox.chat_id"
         " AND o2.status IN ('pending', 'uncertain') AND o2.id < outbox.id)")


def _item(row: Row) -> OutboxItem:
    return OutboxItem(**dict(row))


class OutboxStore(Database):
    """Queue, claim and settle outgoing messages."""

    async def _enqueue_for_ticket(self, db: Conn, ticket_id: int, kind: str, text: str,
                                  now: float) -> None:
        await db.execute(
            "INSERT INTO outbox (channel, chat_id, kind, ticket_id, text, next_attempt_at, created_at)"
            " SELECT channel, chat_id, ?, id, ?, CAST(? AS DOUBLE PRECISION), CAST(? AS DOUBLE PRECISION)"
            " FROM tickets WHERE id = ?"
            " ON CONFLICT DO NOTHING",
            (kind, text, now, now, ticket_id),
        )

    async def enqueue(self, channel: str, chat_id: str, kind: str, text: str, ticket_id: int | None = None,
                      buttons: Buttons | None = None, lane: str = CITIZEN_LANE, delay: float = 0.0,
                      status: str = "pending", turn: Turn | None = None) -> None:
        """Queue a message to any chat (a reply that failed, a notice to the officers...)."""
        now = time.time()
        await self._write(
            "INSERT INTO outbox (channel, chat_id, kind, ticket_id, text, buttons, lane, status, next_attempt_at,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (channel, chat_id, kind, ticket_id, text, json.dumps(buttons or [], ensure_ascii=False), lane, status,
             now + delay, now), turn,
        )

    async def due_outbox(self, lane: str, channels: tuple[str, ...], limit: int = 50) -> list[OutboxItem]:
        """The head message of each chat in `lane` whose next attempt is due, oldest first."""
        if not channels:
            return []
        marks = ", ".join("?" for _ in channels)
        rows = await self._all(
            f"SELECT {OUTBOX_COLS} FROM outbox WHERE status IN ('pending', 'uncertain') AND lane = ?"
            f" AND channel IN ({marks}) AND next_attempt_at <= ? AND {_HEAD} ORDER BY id LIMIT ?",
            (lane, *channels, time.time(), limit),
        )
        return [_item(r) for r in rows]

    async def claim_outbox(self, lane: str, channels: tuple[str, ...], limit: int = 50) -> list[OutboxItem]:
        """The due head messages, claimed for this process to send (`due_outbox` where one process sends).

        On a database several processes share, the rows are locked (skipping those another process is
        claiming) and their next attempt is pushed CLAIM_LEASE seconds ahead, so no other process takes them
        while this one sends; settling them (sent, retry, undeliverable) sets the real next step.
        """
        if not self.shared or not channels:
            return await self.due_outbox(lane, channels, limit)
        marks = ", ".join("?" for _ in channels)
        now = time.time()
        async with self._tx() as db:
            async with db.execute(
                f"SELECT {OUTBOX_COLS} FROM outbox WHERE status IN ('pending', 'uncertain') AND lane = ?"
                f" AND channel IN ({marks}) AND next_attempt_at <= ? AND {_HEAD} ORDER BY id LIMIT ?"
                " FOR UPDATE SKIP LOCKED", (lane, *channels, now, limit),
            ) as cur:
                rows = list(await cur.fetchall())
            if rows:
                ids = [int(r["id"]) for r in rows]
                await db.execute(f"UPDATE outbox SET next_attempt_at = ? WHERE id IN ({', '.join('?' for _ in ids)})",
                                 (now + CLAIM_LEASE, *ids))
        return [_item(r) for r in rows]

    async def outbox_items(self, ticket_id: int) -> list[OutboxItem]:
        """Every message about one ticket, oldest first."""
        rows = await self._all(f"SELECT {OUTBOX_COLS} FROM outbox WHERE ticket_id = ? ORDER BY id", (ticket_id,))
        return [_item(r) for r in rows]

    async def mark_sent(self, item_id: int, message_id: str | None = None) -> None:
        """A delivery went through."""
        await self._write("UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, message_id = ?"
                          " WHERE id = ?", (time.time(), message_id, item_id))

    async def mark_retry(self, item_id: int, error: str, delay: float, uncertain: bool = False) -> None:
        """A delivery failed for now; try again after `delay` seconds (uncertain: it may have arrived)."""
        status = "uncertain" if uncertain else "pending"
        await self._write(
            "UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?",
            (status, error[:500], time.time() + delay, item_id),
        )

    async def mark_undeliverable(self, item_id: int, error: str) -> None:
        """The recipient cannot be reached (blocked the bot, chat gone, outside the reply window)."""
        await self._write(
            "UPDATE outbox SET status = 'undeliverable', attempts = attempts + 1, last_error = ? WHERE id = ?",
            (error[:500], item_id),
        )

    async def outbox_counts(self) -> dict[str, int]:
        """How many outbox messages are in each state."""
        rows = await self._all("SELECT status, count(*) FROM outbox GROUP BY status")
        return {str(r[0]): int(r[1]) for r in rows}
