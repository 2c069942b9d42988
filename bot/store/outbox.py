"""The outbox: messages owed to people, claimed per chat in order, with back-off and an uncertain state.

On a database several processes share, a claim names its process: `claimed_by` is the claiming connection's
own advisory lock key (bot.store.pg_locks), which PostgreSQL releases the moment that process dies. Every
RECLAIM_EVERY seconds a claim also takes back, in the same transaction, the unsettled messages whose claimer
no longer holds its key: they may already have reached the person (the dead process may have been sending
them), so they become 'uncertain' and due at once. The database cannot tell the messages the dead process
was sending from those still waiting in its batch, so both are marked: an uncertain message that times out
again is given up and shown to the officers instead of being tried a third time. CLAIM_LEASE stays as a
backstop for claims made while the lock connection was down (claimed_by is then empty) or by a process
that lives but is stuck.
"""

from __future__ import annotations

import dataclasses
import json
import time

from bot.kernel.models import Buttons, OutboxItem, Progress
from bot.store.dbapi import Conn
from bot.store.sqlite import Database, Row, Turn

OUTBOX_COLS = ("id, channel, chat_id, kind, ticket_id, text, status, attempts, buttons, reply_to, claimed_by,"
               " parts_sent, message_id")
CITIZEN_LANE, OFFICER_LANE = "citizen", "officer"
CLAIM_LEASE = 300.0  # seconds a claimed message is left to its sender (longer than any send's timeouts)
RECLAIM_EVERY = 2.0  # seconds between two looks, per process, for claims whose process has died
ABANDONED = "the process sending it stopped: it may have arrived"
# The advisory lock keys held now in this database: a bigint key shows as classid (high half) and objid
# (low half) with objsubid 1; the shift wraps into the sign bit as the key's own bits did.
_LIVE_KEYS = ("SELECT (classid::bigint << 32) | objid::bigint FROM pg_locks WHERE locktype = 'advisory'"
              " AND objsubid = 1 AND granted"
              " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")
# Only the oldest open message of each chat is ever due, so one chat's messages arrive in order and a
# chat that is waiting out a rate limit holds up nobody else.
_HEAD = ("NOT EXISTS (SELECT 1 FROM outbox o2 WHERE o2.channel = outbox.channel AND o2.chat_id = outbox.chat_id"
         " AND o2.status IN ('pending', 'uncertain') AND o2.id < outbox.id)")


# A settlement records the progress it was given, or keeps the one recorded.
_KEEP_PARTS = "parts_sent = COALESCE(?, parts_sent), message_id = COALESCE(?, message_id)"


def _item(row: Row) -> OutboxItem:
    return OutboxItem(**dict(row))


def _parts(progress: Progress | None) -> tuple[int | None, str | None]:
    return (progress.sent, progress.first) if progress is not None else (None, None)


class OutboxStore(Database):
    """Queue, claim and settle outgoing messages."""

    _reclaimed_at = float("-inf")  # monotonic time of this process's last look for abandoned claims

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
                      status: str = "pending", turn: Turn | None = None, progress: Progress | None = None) -> None:
        """Queue a message to any chat (a reply that failed after `progress`, a notice to the officers...)."""
        now, done = time.time(), progress or Progress()  # a reply handed over part way starts after its sent parts
        await self._write(
            "INSERT INTO outbox (channel, chat_id, kind, ticket_id, text, buttons, lane, status, next_attempt_at,"
            " created_at, parts_sent, message_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (channel, chat_id, kind, ticket_id, text, json.dumps(buttons or [], ensure_ascii=False), lane, status,
             now + delay, now, done.sent, done.first), turn,
        )
        self.queued.ring()

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
        claiming), marked with this process's key and their next attempt pushed CLAIM_LEASE seconds ahead,
        so no other process takes them while this one lives; settling them sets the real next step.
        """
        if self.file.gone():  # a send now could not be recorded, and would be repeated at every tick
            return []
        if not self.shared or not channels:
            return await self.due_outbox(lane, channels, limit)
        holder = await self._claim_holder()  # checked before the claim: never mark rows with a lost key
        marks = ", ".join("?" for _ in channels)
        now = time.time()
        async with self._tx() as db:
            if time.monotonic() - self._reclaimed_at >= RECLAIM_EVERY:
                await self._reclaim_abandoned(db, now)
            async with db.execute(
                f"SELECT {OUTBOX_COLS} FROM outbox WHERE status IN ('pending', 'uncertain') AND lane = ?"
                f" AND channel IN ({marks}) AND next_attempt_at <= ? AND {_HEAD} ORDER BY id LIMIT ?"
                " FOR UPDATE SKIP LOCKED", (lane, *channels, now, limit),
            ) as cur:
                rows = list(await cur.fetchall())
            if rows:
                ids = [int(r["id"]) for r in rows]
                await db.execute(f"UPDATE outbox SET next_attempt_at = ?, claimed_by = ?"
                                 f" WHERE id IN ({', '.join('?' for _ in ids)})", (now + CLAIM_LEASE, holder, *ids))
        return [dataclasses.replace(_item(r), claimed_by=holder) for r in rows]

    async def _reclaim_abandoned(self, db: Conn, now: float) -> None:
        """Make the unsettled claims of processes that no longer hold their key uncertain and due `now`."""
        await db.execute(
            "UPDATE outbox SET status = 'uncertain', claimed_by = NULL, next_attempt_at = ?, last_error = ?"
            " WHERE claimed_by IS NOT NULL AND status IN ('pending', 'uncertain')"
            f" AND claimed_by NOT IN ({_LIVE_KEYS})",
            (now, ABANDONED))
        self._reclaimed_at = time.monotonic()

    def claim_stands(self, item: OutboxItem) -> bool:
        """False once the claim on `item` may have passed to another process: do not start sending it.

        A claim stands while the lock connection whose key marks it is open. When that connection is lost
        while this process lives, the server has released the key (or will once it notices), and other
        processes take those rows back within seconds: so this process stops trusting exactly the claims
        made under the lost key. Their messages not yet handed to the platform are dropped from the batch,
        unsent and unsettled, for whoever takes them back (this process too, under its new key) to send
        once; sends already in flight finish and are settled as usual (a settlement never turns a sent
        message back into an unsent one) and are the only ones that can arrive twice. Claims made under the
        new connection's key are untouched. The check is local, so a send started between the server
        dropping the connection and this process noticing can repeat too, the same window a death leaves.
        """
        return item.claimed_by is None or self._holds_claim(item.claimed_by)

    async def outbox_items(self, ticket_id: int) -> list[OutboxItem]:
        """Every message about one ticket, oldest first."""
        rows = await self._all(f"SELECT {OUTBOX_COLS} FROM outbox WHERE ticket_id = ? ORDER BY id", (ticket_id,))
        return [_item(r) for r in rows]

    async def mark_sent(self, item_id: int, message_id: str | None = None) -> None:
        """A delivery went through."""
        await self._write("UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, message_id = ?,"
                          " claimed_by = NULL WHERE id = ?", (time.time(), message_id, item_id))

    async def mark_parts(self, item_id: int, progress: Progress) -> None:
        """Record the parts of a message the platform has accepted so far."""
        await self._write("UPDATE outbox SET parts_sent = ?, message_id = ? WHERE id = ?"
                          " AND status IN ('pending', 'uncertain')", (*_parts(progress), item_id))

    async def mark_retry(self, item_id: int, error: str, delay: float, uncertain: bool = False,
                         progress: Progress | None = None) -> None:
        """A delivery failed for now; try again after `delay` seconds (uncertain: it may have arrived)."""
        status = "uncertain" if uncertain else "pending"
        # Only while unsent: another process may have taken the message over and sent it meanwhile.
        await self._write(
            "UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
            f" claimed_by = NULL, {_KEEP_PARTS} WHERE id = ? AND status IN ('pending', 'uncertain')",
            (status, error[:500], time.time() + delay, *_parts(progress), item_id),
        )

    async def mark_undeliverable(self, item_id: int, error: str, progress: Progress | None = None) -> None:
        """The recipient cannot be reached (blocked the bot, chat gone, outside the reply window)."""
        # The parts accepted stay recorded: a message sent again (Zalo's 7-day window) starts after them.
        await self._write(
            "UPDATE outbox SET status = 'undeliverable', attempts = attempts + 1, last_error = ?, claimed_by = NULL,"
            f" {_KEEP_PARTS} WHERE id = ? AND status IN ('pending', 'uncertain')",
            (error[:500], *_parts(progress), item_id),
        )

    async def outbox_counts(self) -> dict[str, int]:
        """How many outbox messages are in each state."""
        rows = await self._all("SELECT status, count(*) FROM outbox GROUP BY status")
        return {str(r[0]): int(r[1]) for r in rows}
