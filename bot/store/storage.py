"""The reply queue and the question log: short async methods over the database, dataclasses out."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

from bot.kernel.config import Config, is_pg_url
from bot.kernel.models import ANSWERED, CLOSED, PENDING, Question, QueueStats, Ticket, User
from bot.store.dbapi import Conn
from bot.store.doubt import DoubtStore
from bot.store.feedback import FeedbackStore
from bot.store.heartbeat import HeartbeatStore
from bot.store.inbox import InboxStore
from bot.store.learned import LearnedStore
from bot.store.officers import OfficersStore
from bot.store.outbox import OutboxStore
from bot.store.people import PeopleStore
from bot.store.pg_tools import MigrationBackup
from bot.store.plan import PlanStore
from bot.store.postgres import PgDatabase
from bot.store.snapshots import emptied
from bot.store.sqlite import AlreadyProcessed, Database, DatabaseError, Row, Turn
from bot.store.survey import OFFERS_KEPT_DAYS, SurveyStore
from bot.store.web import WebStore
from bot.understanding.turns import Context

__all__ = ["AlreadyProcessed", "DatabaseError", "PgStorage", "Storage", "Turn"]
TICKET_COLS = ("id, channel, chat_id, user_id, display_name, question, status, created_at, answer, answered_by, "
               "answered_at, closed_reason, admin_message_id, context")
PURGE_LOCK = 0x7075726765  # advisory lock key of the retention purge on a shared database ("purge")
QUESTION_COLS = "id, channel, chat_id, user_id, text, decision, topic, ticket_id, created_at"


def _ticket(row: Row | None) -> Ticket | None:
    return Ticket(**dict(row)) if row is not None else None


class Storage(WebStore, DoubtStore, SurveyStore, FeedbackStore, InboxStore, OfficersStore, OutboxStore, PeopleStore,
              LearnedStore, HeartbeatStore, PlanStore, Database):
    """Everything papibot keeps: tickets, questions, ratings, outbox, audit trail, the PAPI plan, menus, the
    satisfaction survey, the feedback register and notices officers could not receive."""

    @classmethod
    async def open(cls, path: Any) -> Any:
        """Open the database a Config, a PostgreSQL URL or a SQLite file path names (migrating it)."""
        target = (path.db_url or path.db_path) if isinstance(path, Config) else path
        if is_pg_url(target):
            before = MigrationBackup(str(target), path.data_dir / "backups", path.migrate_without_backup) \
                if isinstance(path, Config) else None  # a bare URL (tests, migrate-to's empty target): no dump
            return await PgStorage.open(target, before)
        backups = path.data_dir / "backups" if isinstance(path, Config) else Path(target).parent / "backups"
        if str(target) != ":memory:" and (why := emptied(Path(target), backups)):
            raise DatabaseError(why)
        return await super().open(target)

    # Question log and ratings

    async def question_by_update(self, channel: str, update_id: str) -> Question | None:
        """The question a channel update produced, if it was stored."""
        row = await self._one(f"SELECT {QUESTION_COLS} FROM questions WHERE channel = ? AND update_id = ?",
                              (channel, update_id))
        return Question(**dict(row)) if row else None

    async def _insert_question(self, db: Conn, user: User, text: str, decision: str,
                               topic: str | None, score: float, turn: Turn | None, doubt: str | None = None) -> int:
        rows = await db.execute_fetchall(
            "INSERT INTO questions (channel, chat_id, user_id, text, decision, topic, score, created_at, update_id,"
            " doubt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (user.channel, user.chat_id, user.user_id, text, decision, topic, score, time.time(),
             turn.update_id if turn else None, doubt))
        return int(rows[0][0]) if rows else 0

    async def log_question(self, user: User, text: str, decision: str, topic: str | None, score: float,
                           turn: Turn | None = None, talk: Context | None = None, doubt: str | None = None) -> int:
        """Record what a citizen asked, what the bot decided (and any doubt about it), where the talk stands; the id."""
        async with self._tx(turn) as db:
            if talk is not None:
                await self._save_conversation(db, user, talk)
            return await self._insert_question(db, user, text, decision, topic, score, turn, doubt)

    async def queue_question(self, user: User, text: str, norm: str, decision: str, score: float,
                             turn: Turn | None = None, talk: Context | None = None,
                             previous: tuple[tuple[str, str | None], ...] = ()) -> tuple[int, Ticket, bool]:
        """Log a question and queue it for an officer in one transaction: never one without the other."""
        async with self._tx(turn) as db:
            if talk is not None:
                await self._save_conversation(db, user, talk)
            qid = await self._insert_question(db, user, text, decision, None, score, turn)
            ticket, created = await self._ticket_for(db, user, text, norm, qid, previous)
        return qid, ticket, created

    async def question(self, question_id: int) -> Question | None:
        """One logged question."""
        row = await self._one(f"SELECT {QUESTION_COLS} FROM questions WHERE id = ?", (question_id,))
        return Question(**dict(row)) if row else None

    async def update_question(self, question_id: int, decision: str, topic: str | None,
                              turn: Turn | None = None) -> None:
        """Record that a logged question was finally answered with a suggested topic."""
        await self._write("UPDATE questions SET decision = ?, topic = ? WHERE id = ?", (decision, topic, question_id),
                          turn)

    async def rate(self, question_id: int, helpful: bool, turn: Turn | None = None) -> None:
        """Store (or change) the citizen's rating of a bot answer."""
        await self._write(
            "INSERT INTO ratings (question_id, helpful, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (question_id) DO UPDATE SET helpful = excluded.helpful, created_at = excluded.created_at",
            (question_id, int(helpful), time.time()), turn,
        )

    # Tickets

    async def _ticket_for(self, db: Conn, user: User, question: str, norm: str,
                          question_id: int | None, previous: tuple[tuple[str, str | None], ...] = ()
                          ) -> tuple[Ticket, bool]:
        """The citizen's pending ticket for this question, or a new one: read back inside the write
        transaction, never through the reader, whose snapshot may predate the commit."""
        found = await db.execute_fetchall(
            f"SELECT {TICKET_COLS} FROM tickets WHERE channel = ? AND user_id = ? AND status = ? AND norm = ?",
            (user.channel, user.user_id, PENDING, norm))
        created = not found
        if created:
            found = await db.execute_fetchall(
                "INSERT INTO tickets (channel, chat_id, user_id, display_name, question, norm, created_at, context)"
                f" VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {TICKET_COLS}",
                (user.channel, user.chat_id, user.user_id, user.name, question, norm, time.time(),
                 json.dumps(previous, ensure_ascii=False)))
        ticket = _ticket(next(iter(found), None))
        if ticket is None:  # an INSERT … RETURNING always returns its row: only a broken database gets here
            raise DatabaseError(f"the new ticket of {user.channel}:{user.user_id} was not returned by its INSERT")
        if question_id is not None:
            await db.execute("UPDATE questions SET ticket_id = ? WHERE id = ?", (ticket.id, question_id))
        return ticket, created

    async def create_ticket(self, user: User, question: str, norm: str, question_id: int | None = None,
                            turn: Turn | None = None) -> tuple[Ticket, bool]:
        """Queue a question; the same pending question from the same citizen is not queued twice."""
        async with self._tx(turn) as db:
            return await self._ticket_for(db, user, question, norm, question_id)

    async def ticket(self, ticket_id: int) -> Ticket | None:
        """One ticket by number."""
        return _ticket(await self._one(f"SELECT {TICKET_COLS} FROM tickets WHERE id = ?", (ticket_id,)))

    async def tickets_of(self, channel: str, user_id: str, limit: int = 20) -> list[Ticket]:
        """A citizen's own tickets, newest first."""
        rows = await self._all(
            f"SELECT {TICKET_COLS} FROM tickets WHERE channel = ? AND user_id = ? ORDER BY id DESC LIMIT ?",
            (channel, user_id, limit),
        )
        return [Ticket(**dict(r)) for r in rows]

    async def pending_tickets(self, limit: int = 10, offset: int = 0) -> tuple[list[Ticket], int]:
        """Pending tickets oldest first, one page, with the total count."""
        rows = await self._all(
            f"SELECT {TICKET_COLS} FROM tickets WHERE status = ? ORDER BY id LIMIT ? OFFSET ?",
            (PENDING, limit, offset),
        )
        total = await self._value("SELECT count(*) FROM tickets WHERE status = ?", (PENDING,))
        return [Ticket(**dict(r)) for r in rows], int(total or 0)

    async def list_tickets(self, status: str | None = None) -> list[Ticket]:
        """Every ticket, or those with one status, oldest first."""
        where, params = ("WHERE status = ?", (status,)) if status else ("", ())
        rows = await self._all(f"SELECT {TICKET_COLS} FROM tickets {where} ORDER BY id", params)
        return [Ticket(**dict(r)) for r in rows]

    async def answer_ticket(self, ticket_id: int, answer: str, officer: str, delivery: str,
                            turn: Turn | None = None) -> bool:
        """Answer a pending ticket and queue its delivery, atomically; False if it was not pending."""
        now = time.time()
        async with self._tx(turn) as db:
            cur = await db.execute(
                "UPDATE tickets SET status = ?, answer = ?, answered_by = ?, answered_at = ?"
                " WHERE id = ? AND status = ?",
                (ANSWERED, answer, officer, now, ticket_id, PENDING),
            )
            if cur.rowcount == 1:
                await self._enqueue_for_ticket(db, ticket_id, "answer", delivery, now)
                await self._audit(db, officer, "answer", ticket_id, answer[:200], now)
        self.queued.ring()
        return cur.rowcount == 1

    async def close_ticket(self, ticket_id: int, reason: str, officer: str, notice: str | None,
                           turn: Turn | None = None) -> bool:
        """Close a pending ticket without an answer; optionally tell the citizen. False if not pending."""
        now = time.time()
        async with self._tx(turn) as db:
            cur = await db.execute(
                "UPDATE tickets SET status = ?, closed_reason = ?, answered_by = ?, answered_at = ?"
                " WHERE id = ? AND status = ?",
                (CLOSED, reason, officer, now, ticket_id, PENDING),
            )
            if cur.rowcount == 1:
                if notice:
                    await self._enqueue_for_ticket(db, ticket_id, "closed", notice, now)
                await self._audit(db, officer, "close", ticket_id, reason, now)
        self.queued.ring()
        return cur.rowcount == 1

    async def set_admin_message(self, ticket_id: int, message_id: str) -> None:
        """Remember which post at the first officers' destination announced a ticket."""
        await self._write("UPDATE tickets SET admin_message_id = ? WHERE id = ?", (message_id, ticket_id))

    async def ticket_by_officer_post(self, channel: str, chat_id: str, message_id: str) -> Ticket | None:
        """The ticket announced by a post in an officers' chat (message ids are only unique within a chat)."""
        number = await self.ticket_of_post(channel, chat_id, message_id)
        return await self.ticket(number) if number is not None else None

    # Retention and statistics

    async def erase_user(self, channel: str, user_id: str, turn: Turn | None = None) -> tuple[int, set[int]]:
        """Erase a citizen (Decree 13/2023/NĐ-CP): their words, ids, messages and what was learned from them go;
        what the statistics count stays anonymous (ticket numbers, statuses, times, decisions). (records, tickets).
        """
        who = (channel, user_id)
        async with self._tx(turn) as db:
            async with db.execute("SELECT id, chat_id FROM tickets WHERE channel = ? AND user_id = ?", who) as cur:
                rows = list(await cur.fetchall())
            tickets = {int(r[0]) for r in rows}
            await self._forget_learned(db, tickets, who)  # what was learned from their words goes too
            marks = ", ".join("?" for _ in tickets) or "NULL"
            await db.execute(f"DELETE FROM outbox WHERE ticket_id IN ({marks})", tuple(tickets))
            # Their private chat's messages (in a group, only the messages about their own tickets go).
            await db.execute("DELETE FROM outbox WHERE channel = ? AND chat_id = ?", (channel, user_id))
            await db.execute(f"UPDATE admin_actions SET detail = '' WHERE ticket_id IN ({marks})", tuple(tickets))
            t = await db.execute(
                "UPDATE tickets SET chat_id = 'erased', user_id = 'erased', display_name = '', question = '',"
                " norm = '', answer = CASE WHEN answer IS NULL THEN NULL ELSE '' END, closed_reason = NULL,"
                " context = '[]' WHERE channel = ? AND user_id = ?", who)
            q = await db.execute("UPDATE questions SET chat_id = 'erased', user_id = 'erased', text = '',"
                                 " update_id = NULL WHERE channel = ? AND user_id = ?", who)
            for table in ("menus", "conversations", "contacts", "inbound_events", "takeovers"):
                await db.execute(f"DELETE FROM {table} WHERE channel = ? AND user_id = ?", who)
            voice = await self._erase_survey_link(db, *who) + await self._erase_feedback(db, *who)
        await self.scrub()
        return (q.rowcount or 0) + (t.rowcount or 0) + voice, tickets

    async def purge_before(self, cutoff: float) -> int:
        """Erase citizens' questions, finished tickets, delivered messages and audit excerpts older than `cutoff`."""
        async with self._try_lock(PURGE_LOCK) as held:  # processes sharing a database: one purges, others skip
            if not held:
                return 0
            removed = await self._purge(cutoff)
            await self.scrub(vacuum=True)  # also the dead row versions erasures left since the last run
            return removed

    async def _purge(self, cutoff: float) -> int:
        async with self._tx() as db:
            q = await db.execute("DELETE FROM questions WHERE created_at < ?", (cutoff,))
            await db.execute("DELETE FROM outbox WHERE created_at < ? AND status IN ('sent', 'undeliverable')",
                             (cutoff,))
            t = await db.execute("DELETE FROM tickets WHERE created_at < ? AND status != ?", (cutoff, PENDING))
            await db.execute("UPDATE admin_actions SET detail = '' WHERE at < ?", (cutoff,))
            # Platforms redeliver an update for a day or so: older processed ids are dead weight.
            await db.execute("DELETE FROM processed_updates WHERE at < ?", (time.time() - 3 * 86400,))
            await db.execute("DELETE FROM menus WHERE expires_at < ?", (time.time(),))
            await db.execute("DELETE FROM conversations WHERE updated_at < ?", (time.time() - 86400,))
            # Raw platform events are kept only while a redelivery can still arrive (Zalo retries for an hour).
            await db.execute("DELETE FROM inbound_events WHERE status = 'done' AND received_at < ?",
                             (time.time() - 3 * 86400,))
            await db.execute("DELETE FROM sent_messages WHERE at < ?", (time.time() - 7 * 86400,))
            voice = await self._purge_feedback(db, cutoff)
            await self._purge_survey_offers(db, time.strftime("%Y-%m-%d", time.gmtime(time.time() - OFFERS_KEPT_DAYS
                                                                                      * 86400)))
        return (q.rowcount or 0) + (t.rowcount or 0) + voice

    async def stats(self, since: float = 0.0, until: float = float("inf")) -> QueueStats:
        """The ledger for tickets and bot answers created in [since, until)."""
        span: tuple[Any, ...] = (since, min(until, 1e12))
        rows = await self._all(
            "SELECT status, created_at, answered_at FROM tickets WHERE created_at >= ? AND created_at < ?", span)
        by = {s: sum(1 for r in rows if r["status"] == s) for s in (PENDING, ANSWERED, CLOSED)}
        waits = sorted((r["answered_at"] - r["created_at"]) / 3600 for r in rows if r["status"] == ANSWERED)
        bot = await self._one(
            "SELECT count(*), count(r.question_id), coalesce(sum(r.helpful), 0) FROM questions q"
            " LEFT JOIN ratings r ON r.question_id = q.id"
            " WHERE q.decision = 'answer' AND q.created_at >= ? AND q.created_at < ?", span)
        p90 = statistics.quantiles(waits, n=10, method="inclusive")[8] if len(waits) > 1 else None
        return QueueStats(
            received=len(rows), answered=by[ANSWERED], pending=by[PENDING], closed=by[CLOSED],
            median_hours=round(statistics.median(waits), 2) if waits else None,
            p90_hours=round(p90 if p90 is not None else waits[0], 2) if waits else None,
            bot_answers=int(bot[0]) if bot else 0, rated=int(bot[1]) if bot else 0,
            helpful=int(bot[2]) if bot else 0,
        )


class PgStorage(PgDatabase, Storage):
    """`Storage` whose connection layer is PostgreSQL (PgDatabase comes first, so its methods win)."""
