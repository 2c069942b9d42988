"""All persistent state in one SQLite file, through one class of short async methods."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite

from bot.models import ANSWERED, CLOSED, PENDING, OutboxItem, Question, QueueStats, TaskOverride, Ticket, User
from bot.schema import MIGRATIONS, SCHEMA_VERSION

TICKET_COLS = ("id, channel, chat_id, user_id, display_name, question, status, created_at, answer, answered_by, "
               "answered_at, closed_reason, admin_message_id")
OUTBOX_COLS = "id, channel, chat_id, kind, ticket_id, text, status, attempts"
QUESTION_COLS = "id, channel, chat_id, user_id, text, decision, topic, ticket_id, created_at"


async def migrate(db: aiosqlite.Connection, target: int = SCHEMA_VERSION) -> int:
    """Apply every migration above the file's `user_version`, each in its own transaction."""
    async with db.execute("PRAGMA user_version") as cur:
        (version,) = await cur.fetchone()  # type: ignore[misc]
    for number in range(version, target):
        await db.executescript(f"BEGIN;\n{MIGRATIONS[number]}\nPRAGMA user_version = {number + 1};\nCOMMIT;")
    return max(version, target)


class AlreadyProcessed(Exception):
    """A channel update whose effects were already stored: it is being delivered again after a crash."""


class Storage:
    """The reply queue, question log, ratings, outbox, audit trail and staff edits."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self.db = db
        self.path = path
        # One connection is shared by every task: the lock keeps one task's transaction from being
        # committed, or interleaved, by another's.
        self._lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def _tx(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction: all or nothing, one at a time."""
        async with self._lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                await self.db.rollback()
                raise
            await self.db.commit()

    @classmethod
    async def open(cls, path: Path | str) -> Storage:
        """Open (creating if needed) the database and bring its schema up to date."""
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, timeout=10.0)
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA foreign_keys = ON")
        # WAL + NORMAL survives a crash of the bot (kill -9) without losing a commit; only a power cut
        # can drop the last transactions, and it costs no fsync per citizen message.
        await db.execute("PRAGMA synchronous = NORMAL")
        await db.execute("PRAGMA busy_timeout = 10000")
        await migrate(db)
        return cls(db, path)

    async def close(self) -> None:
        """Close the connection."""
        await self.db.close()

    async def _write(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """One statement in its own transaction; returns the number of rows changed."""
        async with self._tx() as db:
            cur = await db.execute(sql, params)
        return cur.rowcount or 0

    async def _one(self, sql: str, params: tuple[Any, ...] = ()) -> aiosqlite.Row | None:
        async with self.db.execute(sql, params) as cur:
            return await cur.fetchone()

    async def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[aiosqlite.Row]:
        async with self.db.execute(sql, params) as cur:
            return list(await cur.fetchall())

    # Question log and ratings

    async def _claim(self, db: aiosqlite.Connection, update_id: int | None) -> None:
        """Record a channel update as processed, inside the caller's transaction."""
        if update_id is not None:
            try:
                await db.execute("INSERT INTO processed_updates (update_id, at) VALUES (?, ?)",
                                 (update_id, time.time()))
            except aiosqlite.IntegrityError as exc:
                raise AlreadyProcessed(update_id) from exc

    async def update_state(self, update_id: int) -> str | None:
        """None for a new update; 'stored' when its effect is stored; 'replied' when its reply went out too."""
        row = await self._one("SELECT replied FROM processed_updates WHERE update_id = ?", (update_id,))
        return None if row is None else ("replied" if row[0] else "stored")

    async def mark_processed(self, update_id: int) -> None:
        """Record that an update was fully handled, reply included: a redelivery is then skipped."""
        await self._write(
            "INSERT INTO processed_updates (update_id, at, replied) VALUES (?, ?, 1)"
            " ON CONFLICT (update_id) DO UPDATE SET replied = 1",
            (update_id, time.time()),
        )

    async def question_by_update(self, update_id: int) -> Question | None:
        """The question a channel update produced, if it was stored."""
        row = await self._one(f"SELECT {QUESTION_COLS} FROM questions WHERE update_id = ?", (update_id,))
        return Question(**dict(row)) if row else None

    async def _insert_question(self, db: aiosqlite.Connection, user: User, text: str, decision: str,
                               topic: str | None, score: float, update_id: int | None = None) -> int:
        cur = await db.execute(
            "INSERT INTO questions (channel, chat_id, user_id, text, decision, topic, score, created_at, update_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (user.channel, user.chat_id, user.user_id, text, decision, topic, score, time.time(), update_id),
        )
        return int(cur.lastrowid or 0)

    async def log_question(self, user: User, text: str, decision: str, topic: str | None, score: float,
                           update_id: int | None = None) -> int:
        """Record what a citizen asked and what the bot decided; returns the question id."""
        async with self._tx() as db:
            await self._claim(db, update_id)
            return await self._insert_question(db, user, text, decision, topic, score, update_id)

    async def queue_question(self, user: User, text: str, norm: str, decision: str, score: float,
                             update_id: int | None = None) -> tuple[int, Ticket, bool]:
        """Log a question and queue it for an officer in one transaction: never one without the other."""
        async with self._tx() as db:
            await self._claim(db, update_id)
            qid = await self._insert_question(db, user, text, decision, None, score, update_id)
            ticket_id, created = await self._ticket_for(db, user, text, norm, qid)
        ticket = await self.ticket(ticket_id)
        assert ticket is not None
        return qid, ticket, created

    async def question(self, question_id: int) -> Question | None:
        """One logged question."""
        row = await self._one(f"SELECT {QUESTION_COLS} FROM questions WHERE id = ?", (question_id,))
        return Question(**dict(row)) if row else None

    async def update_question(self, question_id: int, decision: str, topic: str | None) -> None:
        """Record that a logged question was finally answered with a suggested topic."""
        await self._write("UPDATE questions SET decision = ?, topic = ? WHERE id = ?",
                              (decision, topic, question_id))

    async def rate(self, question_id: int, helpful: bool) -> None:
        """Store (or change) the citizen's rating of a bot answer."""
        await self._write(
            "INSERT INTO ratings (question_id, helpful, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (question_id) DO UPDATE SET helpful = excluded.helpful, created_at = excluded.created_at",
            (question_id, int(helpful), time.time()),
        )

    # Tickets

    async def _ticket_for(self, db: aiosqlite.Connection, user: User, question: str, norm: str,
                          question_id: int | None) -> tuple[int, bool]:
        row = await self._one(
            "SELECT id FROM tickets WHERE channel = ? AND user_id = ? AND status = ? AND norm = ?",
            (user.channel, user.user_id, PENDING, norm),
        )
        if row is None:
            cur = await db.execute(
                "INSERT INTO tickets (channel, chat_id, user_id, display_name, question, norm, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (user.channel, user.chat_id, user.user_id, user.name, question, norm, time.time()),
            )
            ticket_id = int(cur.lastrowid or 0)
        else:
            ticket_id = int(row["id"])
        if question_id is not None:
            await db.execute("UPDATE questions SET ticket_id = ? WHERE id = ?", (ticket_id, question_id))
        return ticket_id, row is None

    async def create_ticket(self, user: User, question: str, norm: str, question_id: int | None = None,
                            update_id: int | None = None) -> tuple[Ticket, bool]:
        """Queue a question; the same pending question from the same citizen is not queued twice."""
        async with self._tx() as db:
            await self._claim(db, update_id)
            ticket_id, created = await self._ticket_for(db, user, question, norm, question_id)
        ticket = await self.ticket(ticket_id)
        assert ticket is not None
        return ticket, created

    async def ticket(self, ticket_id: int) -> Ticket | None:
        """One ticket by number."""
        row = await self._one(f"SELECT {TICKET_COLS} FROM tickets WHERE id = ?", (ticket_id,))
        return Ticket(**dict(row)) if row else None

    async def tickets_of(self, channel: str, user_id: int, limit: int = 20) -> list[Ticket]:
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
        total = await self._one("SELECT count(*) FROM tickets WHERE status = ?", (PENDING,))
        return [Ticket(**dict(r)) for r in rows], int(total[0]) if total else 0

    async def list_tickets(self, status: str | None = None) -> list[Ticket]:
        """Every ticket, or those with one status, oldest first."""
        where, params = ("WHERE status = ?", (status,)) if status else ("", ())
        rows = await self._all(f"SELECT {TICKET_COLS} FROM tickets {where} ORDER BY id", params)
        return [Ticket(**dict(r)) for r in rows]

    async def answer_ticket(self, ticket_id: int, answer: str, admin_id: int, delivery: str,
                            update_id: int | None = None) -> bool:
        """Answer a pending ticket and queue its delivery, atomically; False if it was not pending."""
        now = time.time()
        async with self._tx() as db:
            await self._claim(db, update_id)
            cur = await db.execute(
                "UPDATE tickets SET status = ?, answer = ?, answered_by = ?, answered_at = ?"
                " WHERE id = ? AND status = ?",
                (ANSWERED, answer, admin_id, now, ticket_id, PENDING),
            )
            if cur.rowcount == 1:
                await self._enqueue_for_ticket(ticket_id, "answer", delivery, now)
                await self._audit(admin_id, "answer", ticket_id, answer[:200], now)
        return cur.rowcount == 1

    async def close_ticket(self, ticket_id: int, reason: str, admin_id: int, notice: str | None,
                           update_id: int | None = None) -> bool:
        """Close a pending ticket without an answer; optionally tell the citizen. False if not pending."""
        now = time.time()
        async with self._tx() as db:
            await self._claim(db, update_id)
            cur = await db.execute(
                "UPDATE tickets SET status = ?, closed_reason = ?, answered_by = ?, answered_at = ?"
                " WHERE id = ? AND status = ?",
                (CLOSED, reason, admin_id, now, ticket_id, PENDING),
            )
            if cur.rowcount == 1:
                if notice:
                    await self._enqueue_for_ticket(ticket_id, "closed", notice, now)
                await self._audit(admin_id, "close", ticket_id, reason, now)
        return cur.rowcount == 1

    async def set_admin_message(self, ticket_id: int, message_id: int) -> None:
        """Remember which post in the admins' chat announced a ticket."""
        await self._write("UPDATE tickets SET admin_message_id = ? WHERE id = ?", (message_id, ticket_id))

    async def ticket_by_admin_message(self, message_id: int) -> Ticket | None:
        """The ticket announced by a post in the admins' chat."""
        row = await self._one(f"SELECT {TICKET_COLS} FROM tickets WHERE admin_message_id = ?", (message_id,))
        return Ticket(**dict(row)) if row else None

    # Outbox

    async def _enqueue_for_ticket(self, ticket_id: int, kind: str, text: str, now: float) -> None:
        await self.db.execute(
            "INSERT OR IGNORE INTO outbox (channel, chat_id, kind, ticket_id, text, next_attempt_at, created_at)"
            " SELECT channel, chat_id, ?, id, ?, ?, ? FROM tickets WHERE id = ?",
            (kind, text, now, now, ticket_id),
        )

    async def enqueue(self, channel: str, chat_id: int, kind: str, text: str, ticket_id: int | None = None) -> None:
        """Queue a message to any chat (e.g. a ticket post or a note to the admins' chat)."""
        now = time.time()
        await self._write(
            "INSERT OR IGNORE INTO outbox (channel, chat_id, kind, ticket_id, text, next_attempt_at, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (channel, chat_id, kind, ticket_id, text, now, now),
        )

    async def due_outbox(self, channel: str, limit: int = 20, chat_id: int | None = None,
                         exclude_chat_id: int | None = None) -> list[OutboxItem]:
        """Pending deliveries whose next attempt is due, oldest first (optionally to or not to one chat)."""
        sql = f"SELECT {OUTBOX_COLS} FROM outbox WHERE status = 'pending' AND channel = ? AND next_attempt_at <= ?"
        params: tuple[Any, ...] = (channel, time.time())
        if chat_id is not None:
            sql, params = sql + " AND chat_id = ?", (*params, chat_id)
        if exclude_chat_id is not None:
            sql, params = sql + " AND chat_id != ?", (*params, exclude_chat_id)
        rows = await self._all(sql + " ORDER BY id LIMIT ?", (*params, limit))
        return [OutboxItem(**dict(r)) for r in rows]

    async def mark_sent(self, item_id: int) -> None:
        """A delivery went through."""
        await self._write("UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ?",
                              (time.time(), item_id))

    async def mark_retry(self, item_id: int, error: str, delay: float) -> None:
        """A delivery failed for now; try again after `delay` seconds."""
        await self._write(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?",
            (error[:500], time.time() + delay, item_id),
        )

    async def mark_undeliverable(self, item_id: int, error: str) -> None:
        """The recipient cannot be reached (blocked the bot, chat gone)."""
        await self._write(
            "UPDATE outbox SET status = 'undeliverable', attempts = attempts + 1, last_error = ? WHERE id = ?",
            (error[:500], item_id),
        )

    # Audit, staff edits, privacy

    async def _audit(self, admin_id: int, action: str, ticket_id: int | None, detail: str, now: float) -> None:
        await self.db.execute(
            "INSERT INTO admin_actions (admin_id, action, ticket_id, detail, at) VALUES (?, ?, ?, ?, ?)",
            (admin_id, action, ticket_id, detail, now),
        )

    async def audit(self, admin_id: int, action: str, ticket_id: int | None = None, detail: str = "") -> None:
        """Record an admin action (who, what, when)."""
        async with self._tx():
            await self._audit(admin_id, action, ticket_id, detail, time.time())

    async def audit_log(self, limit: int = 50) -> list[dict[str, Any]]:
        """Most recent admin actions first."""
        rows = await self._all("SELECT * FROM admin_actions ORDER BY id DESC LIMIT ?", (limit,))
        return [dict(r) for r in rows]

    async def set_task_status(self, task_id: str, status: str, note: str, changed_by: int) -> None:
        """Record a staff member's status change on a task (history is kept)."""
        await self._write(
            "INSERT INTO task_status (task_id, status, note, changed_by, at) VALUES (?, ?, ?, ?, ?)",
            (task_id, status, note, changed_by, time.time()),
        )

    async def task_overrides(self) -> dict[str, TaskOverride]:
        """The latest staff status of every task that has one."""
        rows = await self._all(
            "SELECT task_id, status, note, changed_by, at FROM task_status"
            " WHERE id IN (SELECT max(id) FROM task_status GROUP BY task_id)"
        )
        return {r["task_id"]: TaskOverride(**dict(r)) for r in rows}

    async def delete_user_data(self, channel: str, user_id: int) -> int:
        """Erase a citizen's questions, ratings and tickets; returns how many records went."""
        async with self._tx() as db:
            q = await db.execute("DELETE FROM questions WHERE channel = ? AND user_id = ?", (channel, user_id))
            t = await db.execute("DELETE FROM tickets WHERE channel = ? AND user_id = ?", (channel, user_id))
        return (q.rowcount or 0) + (t.rowcount or 0)

    async def purge_before(self, cutoff: float) -> int:
        """Erase citizens' questions and finished tickets older than `cutoff` (retention)."""
        async with self._tx() as db:
            q = await db.execute("DELETE FROM questions WHERE created_at < ?", (cutoff,))
            t = await db.execute("DELETE FROM tickets WHERE created_at < ? AND status != ?", (cutoff, PENDING))
            # Telegram redelivers an update for a day at most: older processed ids are dead weight.
            await db.execute("DELETE FROM processed_updates WHERE at < ?", (time.time() - 3 * 86400,))
        return (q.rowcount or 0) + (t.rowcount or 0)

    async def stats(self, since: float = 0.0, until: float = float("inf")) -> QueueStats:
        """The ledger for tickets and bot answers created in [since, until)."""
        rows = await self._all(
            "SELECT status, created_at, answered_at FROM tickets WHERE created_at >= ? AND created_at < ?",
            (since, min(until, 1e12)),
        )
        by = {s: sum(1 for r in rows if r["status"] == s) for s in (PENDING, ANSWERED, CLOSED)}
        waits = sorted((r["answered_at"] - r["created_at"]) / 3600 for r in rows if r["status"] == ANSWERED)
        bot = await self._one(
            "SELECT count(*), count(r.question_id), coalesce(sum(r.helpful), 0) FROM questions q"
            " LEFT JOIN ratings r ON r.question_id = q.id"
            " WHERE q.decision = 'answer' AND q.created_at >= ? AND q.created_at < ?",
            (since, min(until, 1e12)),
        )
        p90 = statistics.quantiles(waits, n=10, method="inclusive")[8] if len(waits) > 1 else None
        return QueueStats(
            received=len(rows), answered=by[ANSWERED], pending=by[PENDING], closed=by[CLOSED],
            median_hours=round(statistics.median(waits), 2) if waits else None,
            p90_hours=round(p90 if p90 is not None else waits[0], 2) if waits else None,
            bot_answers=int(bot[0]) if bot else 0, rated=int(bot[1]) if bot else 0,
            helpful=int(bot[2]) if bot else 0,
        )
