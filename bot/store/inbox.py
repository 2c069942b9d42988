"""The web console's reads and writes on the reply queue: filters, context, assignment, corrections."""

from __future__ import annotations

import time
from typing import Any

from bot.kernel.models import ANSWERED, Ticket
from bot.store.outbox import OFFICER_LANE, OutboxStore
from bot.store.people import PeopleStore

_COLS = ("t.id, t.channel, t.chat_id, t.user_id, t.display_name, t.question, t.status, t.created_at, t.answer,"
         " t.answered_by, t.answered_at, t.closed_reason, t.admin_message_id")


class InboxStore(OutboxStore, PeopleStore):
    """SQL behind the officers' inbox, the misunderstood questions and the dashboard's queue figures."""

    async def inbox_tickets(self, status: str = "", channel: str = "", officer: str = "", search: str = "",
                            limit: int = 200) -> list[tuple[Ticket, str | None]]:
        """Tickets oldest first with whom each is assigned to, filtered by status, channel, officer, text."""
        where, params = ["1 = 1"], []
        for clause, value in (("t.status = ?", status), ("t.channel = ?", channel), ("a.officer = ?", officer)):
            if value:
                where.append(clause)
                params.append(value)
        if search:
            where.append("(t.question LIKE ? OR t.display_name LIKE ? OR CAST(t.id AS TEXT) = ?)")
            params += [f"%{search}%", f"%{search}%", search.lstrip("#")]
        rows = await self._all(
            f"SELECT {_COLS}, a.officer FROM tickets t LEFT JOIN ticket_assignments a ON a.ticket_id = t.id"
            f" WHERE {' AND '.join(where)} ORDER BY t.created_at, t.id LIMIT ?", (*params, limit))
        out = []
        for r in rows:
            data = dict(r)
            officer_of = data.pop("officer")
            out.append((Ticket(**data), officer_of))
        return out

    async def assigned_to(self, ticket_id: int) -> str | None:
        """The officer a ticket is assigned to, if any."""
        value = await self._value("SELECT officer FROM ticket_assignments WHERE ticket_id = ?", (ticket_id,))
        return str(value) if value else None

    async def assign(self, ticket_id: int, officer: str, by: str) -> None:
        """Assign a ticket to an officer (replacing any earlier assignment), with an audit row."""
        now = time.time()
        async with self._tx() as db:
            await db.execute("INSERT INTO ticket_assignments (ticket_id, officer, assigned_by, at) VALUES (?, ?, ?, ?)"
                             " ON CONFLICT (ticket_id) DO UPDATE SET officer = excluded.officer,"
                             " assigned_by = excluded.assigned_by, at = excluded.at", (ticket_id, officer, by, now))
            await self._audit(db, by, "assign", ticket_id, officer, now)

    async def questions_before(self, ticket: Ticket, limit: int = 5) -> list[dict[str, Any]]:
        """The citizen's previous questions just before this ticket, oldest first."""
        rows = await self._all(
            "SELECT id, text, decision, topic, created_at FROM questions WHERE channel = ? AND user_id = ?"
            " AND created_at <= ? AND (ticket_id IS NULL OR ticket_id != ?) ORDER BY id DESC LIMIT ?",
            (ticket.channel, ticket.user_id, ticket.created_at + 1, ticket.id, limit))
        return [dict(r) for r in reversed(rows)]

    async def ticket_deliveries(self, ticket_id: int) -> list[dict[str, Any]]:
        """Every outbox message about a ticket, with its state and last error, oldest first."""
        rows = await self._all("SELECT id, channel, chat_id, kind, lane, text, status, attempts, last_error,"
                               " created_at, sent_at FROM outbox WHERE ticket_id = ? ORDER BY id", (ticket_id,))
        return [dict(r) for r in rows]

    async def correct_answer(self, ticket_id: int, answer: str, officer: str, delivery: str) -> int | None:
        """Queue a correction of an answered ticket (kind `correction:<n>`); the number, or None if not answered."""
        now = time.time()
        async with self._tx() as db:
            async with db.execute("SELECT count(*) FROM outbox WHERE ticket_id = ? AND kind LIKE 'correction:%'",
                                  (ticket_id,)) as cur:
                row = await cur.fetchone()
            number = int(row[0] if row else 0) + 1
            changed = await db.execute("UPDATE tickets SET answer = ? WHERE id = ? AND status = ?",
                                       (answer, ticket_id, ANSWERED))
            if changed.rowcount != 1:
                return None
            await self._enqueue_for_ticket(db, ticket_id, f"correction:{number}", delivery, now)
            await self._audit(db, officer, "correct", ticket_id, answer[:200], now)
        self.queued.ring()
        return number

    async def officer_note(self, destination: tuple[str, str], ticket_id: int, kind: str, text: str,
                           reply_to: str | None) -> None:
        """Queue a note to the officers' chat after a ticket's post (as a reply to it where the channel can)."""
        now = time.time()
        await self._write(
            "INSERT INTO outbox (channel, chat_id, kind, ticket_id, text, lane, reply_to, next_attempt_at, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (*destination, kind, ticket_id, text, OFFICER_LANE, reply_to, now, now))
        self.queued.ring()

    async def misunderstood_questions(self, limit: int = 500) -> list[dict[str, Any]]:
        """Questions the bot queued, only suggested for, or got a thumbs-down on; newest first."""
        rows = await self._all(
            "SELECT q.id, q.text, q.decision, q.topic, q.ticket_id, q.created_at, r.helpful FROM questions q"
            " LEFT JOIN ratings r ON r.question_id = q.id"
            " WHERE q.decision IN ('queue', 'suggest') OR r.helpful = 0 ORDER BY q.created_at DESC, q.id DESC"
            " LIMIT ?", (limit,))
        return [dict(r) for r in rows]

    async def topic_usage(self) -> dict[str, tuple[int, int, int]]:
        """Per topic: how often the bot answered with it, how many of those were rated, how many helpful."""
        rows = await self._all(
            "SELECT q.topic, count(*), count(r.question_id), coalesce(sum(r.helpful), 0) FROM questions q"
            " LEFT JOIN ratings r ON r.question_id = q.id WHERE q.decision = 'answer' AND q.topic IS NOT NULL"
            " GROUP BY q.topic")
        return {str(r[0]): (int(r[1]), int(r[2]), int(r[3])) for r in rows}

    async def ticket_times(self, since: float) -> list[tuple[float, float | None, str]]:
        """(created, answered or closed, status) of every ticket created since `since`."""
        rows = await self._all("SELECT created_at, answered_at, status FROM tickets WHERE created_at >= ?"
                               " ORDER BY created_at", (since,))
        return [(float(r[0]), float(r[1]) if r[1] is not None else None, str(r[2])) for r in rows]
