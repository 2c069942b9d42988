"""The question log: what citizens asked, what the bot decided, their ratings, and the reads over them."""

from __future__ import annotations

from typing import Any

from bot.kernel.models import Question, Ticket, User
from bot.store.conversations import conversation_upsert, save_conversation
from bot.store.database import Database, Turn
from bot.store.dbapi import Conn
from bot.store.tickets import ticket_for
from bot.understanding.turns import Context

QUESTION_COLS = "id, channel, chat_id, user_id, text, decision, topic, ticket_id, created_at"


INSERT_QUESTION = ("INSERT INTO questions (channel, chat_id, user_id, text, decision, topic, score, created_at,"
                   " update_id, doubt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id")


async def insert_question(db: Conn, user: User, text: str, decision: str, topic: str | None, score: float,
                          update_id: str | None, doubt: str | None, now: float) -> int:
    """Log one question inside a transaction; its id."""
    rows = list(await db.execute_fetchall(INSERT_QUESTION, (user.channel, user.chat_id, user.user_id, text, decision,
                                                            topic, score, now, update_id, doubt)))
    return int(rows[0][0]) if rows else 0


class Questions:
    """The `questions` and `ratings` tables."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def log(self, user: User, text: str, decision: str, topic: str | None, score: float,
                  turn: Turn | None = None, talk: Context | None = None, doubt: str | None = None) -> int:
        """Record what a citizen asked, what the bot decided (and any doubt about it), where the talk stands; the id."""
        now, update_id = self.database.clock.now(), turn.update_id if turn else None
        # Two independent writes (the talk, the question): on PostgreSQL one statement, one round trip.
        pairs = [conversation_upsert(user, talk)] if talk is not None else []
        pairs.append((INSERT_QUESTION, (user.channel, user.chat_id, user.user_id, text, decision, topic, score, now,
                                        update_id, doubt)))
        rows = await self.database.together(pairs, turn)
        return int(rows[0][0]) if rows else 0

    async def queue(self, user: User, text: str, norm: str, decision: str, score: float,
                    turn: Turn | None = None, talk: Context | None = None,
                    previous: tuple[tuple[str, str | None], ...] = ()) -> tuple[int, Ticket, bool]:
        """Log a question and queue it for an officer in one transaction: never one without the other."""
        now, update_id = self.database.clock.now(), turn.update_id if turn else None

        async def queue(db: Conn) -> tuple[int, Ticket, bool]:
            if talk is not None:
                await save_conversation(db, user, talk)
            qid = await insert_question(db, user, text, decision, None, score, update_id, None, now)
            ticket, created = await ticket_for(db, user, text, norm, qid, previous, now)
            return qid, ticket, created
        return await self.database.write(queue, turn)

    async def by_update(self, channel: str, update_id: str) -> Question | None:
        """The question a channel update produced, if it was stored."""
        row = await self.database.one(f"SELECT {QUESTION_COLS} FROM questions WHERE channel = ? AND update_id = ?",
                                      (channel, update_id))
        return Question(**dict(row)) if row else None

    async def get(self, question_id: int) -> Question | None:
        """One logged question."""
        row = await self.database.one(f"SELECT {QUESTION_COLS} FROM questions WHERE id = ?", (question_id,))
        return Question(**dict(row)) if row else None

    async def update(self, question_id: int, decision: str, topic: str | None, turn: Turn | None = None) -> None:
        """Record that a logged question was finally answered with a suggested topic."""
        await self.database.execute("UPDATE questions SET decision = ?, topic = ? WHERE id = ?",
                                    (decision, topic, question_id), turn)

    async def rate(self, question_id: int, helpful: bool, turn: Turn | None = None) -> None:
        """Store (or change) the citizen's rating of a bot answer."""
        await self.database.execute(
            "INSERT INTO ratings (question_id, helpful, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (question_id) DO UPDATE SET helpful = excluded.helpful, created_at = excluded.created_at",
            (question_id, int(helpful), self.database.clock.now()), turn)

    async def before(self, ticket: Ticket, limit: int = 5) -> list[dict[str, Any]]:
        """The citizen's previous questions just before this ticket, oldest first."""
        rows = await self.database.all(
            "SELECT id, text, decision, topic, created_at FROM questions WHERE channel = ? AND user_id = ?"
            " AND created_at <= ? AND (ticket_id IS NULL OR ticket_id != ?) ORDER BY id DESC LIMIT ?",
            (ticket.channel, ticket.user_id, ticket.created_at + 1, ticket.id, limit))
        return [dict(r) for r in reversed(rows)]

    async def misunderstood(self, limit: int = 500) -> list[dict[str, Any]]:
        """Questions the bot queued, only suggested for, or got a thumbs-down on; newest first."""
        rows = await self.database.all(
            "SELECT q.id, q.text, q.decision, q.topic, q.ticket_id, q.created_at, r.helpful FROM questions q"
            " LEFT JOIN ratings r ON r.question_id = q.id"
            " WHERE q.decision IN ('queue', 'suggest') OR r.helpful = 0 ORDER BY q.created_at DESC, q.id DESC"
            " LIMIT ?", (limit,))
        return [dict(r) for r in rows]

    async def topic_usage(self) -> dict[str, tuple[int, int, int]]:
        """Per topic: how often the bot answered with it, how many of those were rated, how many helpful."""
        rows = await self.database.all(
            "SELECT q.topic, count(*), count(r.question_id), coalesce(sum(r.helpful), 0) FROM questions q"
            " LEFT JOIN ratings r ON r.question_id = q.id WHERE q.decision = 'answer' AND q.topic IS NOT NULL"
            " GROUP BY q.topic")
        return {str(r[0]): (int(r[1]), int(r[2]), int(r[3])) for r in rows}

    async def texts(self, question_ids: list[int]) -> dict[int, str]:
        """The words of citizens' questions by id (erased ones are gone), to link what is learned from them."""
        ids = [i for i in dict.fromkeys(question_ids) if 0 < i < 2**63][:30]
        marks = ", ".join("?" for _ in ids) or "NULL"
        rows = await self.database.all(
            f"SELECT id, text FROM questions WHERE id IN ({marks}) AND text != '' ORDER BY id DESC", tuple(ids))
        return {int(r[0]): str(r[1]) for r in rows}
