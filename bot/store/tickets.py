"""The reply queue: tickets, answered or closed by officers with the citizen's message queued atomically."""

from __future__ import annotations

import json
import statistics
from typing import Any

from bot.kernel.models import ANSWERED, CLOSED, PENDING, QueueStats, Ticket, User
from bot.store.audit import record_action
from bot.store.database import Database, Row, Turn
from bot.store.dbapi import Conn
from bot.store.files import DatabaseError
from bot.store.notices import ticket_of_post
from bot.store.outbox import enqueue_for_ticket

TICKET_COLS = ("id, channel, chat_id, user_id, display_name, question, status, created_at, answer, answered_by, "
               "answered_at, closed_reason, admin_message_id, context")


def _ticket(row: Row | None) -> Ticket | None:
    return Ticket(**dict(row)) if row is not None else None


async def ticket_for(db: Conn, user: User, question: str, norm: str, question_id: int | None,
                     previous: tuple[tuple[str, str | None], ...], now: float) -> tuple[Ticket, bool]:
    """The citizen's pending ticket for this question, or a new one (and whether it is new): read back inside the
    write transaction, never through the reader, whose snapshot may predate the commit."""
    found = list(await db.execute_fetchall(
        f"SELECT {TICKET_COLS} FROM tickets WHERE channel = ? AND user_id = ? AND status = ? AND norm = ?",
        (user.channel, user.user_id, PENDING, norm)))
    created = not found
    if created:
        found = list(await db.execute_fetchall(
            "INSERT INTO tickets (channel, chat_id, user_id, display_name, question, norm, created_at, context)"
            f" VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {TICKET_COLS}",
            (user.channel, user.chat_id, user.user_id, user.name, question, norm, now,
             json.dumps(previous, ensure_ascii=False))))
    ticket = _ticket(next(iter(found), None))
    if ticket is None:  # an INSERT … RETURNING always returns its row: only a broken database gets here
        raise DatabaseError(f"the new ticket of {user.channel}:{user.user_id} was not returned by its INSERT")
    if question_id is not None:
        await db.execute("UPDATE questions SET ticket_id = ? WHERE id = ?", (ticket.id, question_id))
    return ticket, created


class Tickets:
    """The `tickets` table."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def create(self, user: User, question: str, norm: str, question_id: int | None = None,
                     turn: Turn | None = None) -> tuple[Ticket, bool]:
        """Queue a question; the same pending question from the same citizen is not queued twice."""
        now = self.database.clock.now()

        async def create(db: Conn) -> tuple[Ticket, bool]:
            return await ticket_for(db, user, question, norm, question_id, (), now)
        return await self.database.write(create, turn)

    async def get(self, ticket_id: int) -> Ticket | None:
        """One ticket by number."""
        return _ticket(await self.database.one(f"SELECT {TICKET_COLS} FROM tickets WHERE id = ?", (ticket_id,)))

    async def of(self, channel: str, user_id: str, limit: int = 20) -> list[Ticket]:
        """A citizen's own tickets, newest first."""
        rows = await self.database.all(
            f"SELECT {TICKET_COLS} FROM tickets WHERE channel = ? AND user_id = ? ORDER BY id DESC LIMIT ?",
            (channel, user_id, limit))
        return [Ticket(**dict(r)) for r in rows]

    async def pending(self, limit: int = 10, offset: int = 0) -> tuple[list[Ticket], int]:
        """Pending tickets oldest first, one page, with the total count."""
        rows = await self.database.all(
            f"SELECT {TICKET_COLS} FROM tickets WHERE status = ? ORDER BY id LIMIT ? OFFSET ?",
            (PENDING, limit, offset))
        total = await self.database.value("SELECT count(*) FROM tickets WHERE status = ?", (PENDING,))
        return [Ticket(**dict(r)) for r in rows], int(total or 0)

    async def by_status(self, status: str | None = None) -> list[Ticket]:
        """Every ticket, or those with one status, oldest first."""
        where, params = ("WHERE status = ?", (status,)) if status else ("", ())
        rows = await self.database.all(f"SELECT {TICKET_COLS} FROM tickets {where} ORDER BY id", params)
        return [Ticket(**dict(r)) for r in rows]

    async def answer(self, ticket_id: int, answer: str, officer: str, delivery: str,
                     turn: Turn | None = None) -> bool:
        """Answer a pending ticket and queue its delivery, atomically; False if it was not pending."""
        now = self.database.clock.now()

        async def answer_it(db: Conn) -> bool:
            cur = await db.execute("UPDATE tickets SET status = ?, answer = ?, answered_by = ?, answered_at = ?"
                                   " WHERE id = ? AND status = ?", (ANSWERED, answer, officer, now, ticket_id, PENDING))
            if cur.rowcount == 1:
                await enqueue_for_ticket(db, ticket_id, "answer", delivery, now)
                await record_action(db, officer, "answer", ticket_id, answer[:200], now)
            return bool(cur.rowcount == 1)
        answered = await self.database.write(answer_it, turn)
        self.database.queued.ring()
        return answered

    async def close(self, ticket_id: int, reason: str, officer: str, notice: str | None,
                    turn: Turn | None = None) -> bool:
        """Close a pending ticket without an answer; optionally tell the citizen. False if not pending."""
        now = self.database.clock.now()

        async def close(db: Conn) -> bool:
            cur = await db.execute("UPDATE tickets SET status = ?, closed_reason = ?, answered_by = ?, answered_at = ?"
                                   " WHERE id = ? AND status = ?", (CLOSED, reason, officer, now, ticket_id, PENDING))
            if cur.rowcount == 1:
                if notice:
                    await enqueue_for_ticket(db, ticket_id, "closed", notice, now)
                await record_action(db, officer, "close", ticket_id, reason, now)
            return bool(cur.rowcount == 1)
        closed = await self.database.write(close, turn)
        self.database.queued.ring()
        return closed

    async def correct(self, ticket_id: int, answer: str, officer: str, delivery: str) -> int | None:
        """Queue a correction of an answered ticket (kind `correction:<n>`); the number, or None if not answered."""
        now = self.database.clock.now()

        async def correct(db: Conn) -> int | None:
            rows = list(await db.execute_fetchall(
                "SELECT count(*) FROM outbox WHERE ticket_id = ? AND kind LIKE 'correction:%'", (ticket_id,)))
            number = int(rows[0][0] if rows else 0) + 1
            changed = await db.execute("UPDATE tickets SET answer = ? WHERE id = ? AND status = ?",
                                       (answer, ticket_id, ANSWERED))
            if changed.rowcount != 1:
                return None
            await enqueue_for_ticket(db, ticket_id, f"correction:{number}", delivery, now)
            await record_action(db, officer, "correct", ticket_id, answer[:200], now)
            return number
        number = await self.database.write(correct)
        self.database.queued.ring()
        return number

    async def set_admin_message(self, ticket_id: int, message_id: str) -> None:
        """Remember which post at the first officers' destination announced a ticket."""
        await self.database.execute("UPDATE tickets SET admin_message_id = ? WHERE id = ?", (message_id, ticket_id))

    async def times(self, since: float) -> list[tuple[float, float | None, str]]:
        """(created, answered or closed, status) of every ticket created since `since`."""
        rows = await self.database.all("SELECT created_at, answered_at, status FROM tickets WHERE created_at >= ?"
                                       " ORDER BY created_at", (since,))
        return [(float(r[0]), float(r[1]) if r[1] is not None else None, str(r[2])) for r in rows]

    async def stats(self, since: float = 0.0, until: float = float("inf")) -> QueueStats:
        """The ledger for tickets and bot answers created in [since, until)."""
        span: tuple[Any, ...] = (since, min(until, 1e12))
        rows = await self.database.all(
            "SELECT status, created_at, answered_at FROM tickets WHERE created_at >= ? AND created_at < ?", span)
        by = {s: sum(1 for r in rows if r["status"] == s) for s in (PENDING, ANSWERED, CLOSED)}
        waits = sorted((r["answered_at"] - r["created_at"]) / 3600 for r in rows if r["status"] == ANSWERED)
        bot = await self.database.one(
            "SELECT count(*), count(r.question_id), coalesce(sum(r.helpful), 0) FROM questions q"
            " LEFT JOIN ratings r ON r.question_id = q.id"
            " WHERE q.decision = 'answer' AND q.created_at >= ? AND q.created_at < ?", span)
        p90 = statistics.quantiles(waits, n=10, method="inclusive")[8] if len(waits) > 1 else None
        return QueueStats(
            received=len(rows), answered=by[ANSWERED], pending=by[PENDING], closed=by[CLOSED],
            median_hours=round(statistics.median(waits), 2) if waits else None,
            p90_hours=round(p90 if p90 is not None else waits[0], 2) if waits else None,
            bot_answers=int(bot[0]) if bot else 0, rated=int(bot[1]) if bot else 0,
            helpful=int(bot[2]) if bot else 0)

    async def by_officer_post(self, channel: str, chat_id: str, message_id: str) -> Ticket | None:
        """The ticket announced by a post in an officers' chat (message ids are only unique within a chat)."""
        number = await ticket_of_post(self.database, channel, chat_id, message_id)
        return await self.get(number) if number is not None else None
