"""Feedback on administrative regulations: the register's items, their statuses, and drafts being written.

An item is a citizen's words and contact details: erasure empties them (the status, month and body it was
transferred to stay for the counts), retention deletes finished items with the questions of the same age.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.kernel.models import User
from bot.store.audit import record_action
from bot.store.database import Database, Turn
from bot.store.dbapi import Conn
from bot.store.outbox import CITIZEN_LANE, OFFICER_LANE, queue_message

RECEIVED, HANDLING, TRANSFERRED, ANSWERED, PUBLISHED = "received", "handling", "transferred", "answered", "published"
FEEDBACK_STATUSES = (RECEIVED, HANDLING, TRANSFERRED, ANSWERED, PUBLISHED)
FINISHED = (ANSWERED, PUBLISHED)
DRAFT_TTL = 3600.0  # seconds a feedback being written waits for the citizen's next message
_COLS = ("id, channel, chat_id, user_id, subject, content, proposal, sender_name, sender_contact, status,"
         " transferred_to, answer, answered_by, created_at, status_at, updated_by")


@dataclass(frozen=True)
class FeedbackItem:
    """One feedback item of the register (PA-<id>)."""

    id: int
    channel: str
    chat_id: str
    user_id: str
    subject: str
    content: str
    proposal: str
    sender_name: str
    sender_contact: str
    status: str
    transferred_to: str
    answer: str | None
    answered_by: str | None
    created_at: float
    status_at: float
    updated_by: str

    @property
    def code(self) -> str:
        """The code the citizen follows it by."""
        return f"PA-{self.id}"


def _item(row: Any) -> FeedbackItem:
    return FeedbackItem(**dict(row))


async def erase_feedback(db: Conn, channel: str, user_id: str) -> int:
    """Erasure: the person's words and contact details go; status, times and the body named stay (anonymous)."""
    await db.execute("DELETE FROM feedback_drafts WHERE channel = ? AND user_id = ?", (channel, user_id))
    cur = await db.execute(
        "UPDATE feedback_items SET chat_id = 'erased', user_id = 'erased', subject = '', content = '',"
        " proposal = '', sender_name = '', sender_contact = '', answer = CASE WHEN answer IS NULL THEN NULL"
        " ELSE '' END WHERE channel = ? AND user_id = ?", (channel, user_id))
    return int(cur.rowcount or 0)


async def purge_feedback(db: Conn, cutoff: float, now: float) -> int:
    """Retention: finished items older than `cutoff`, and drafts nobody finished, are deleted."""
    await db.execute("DELETE FROM feedback_drafts WHERE updated_at < ?", (now - DRAFT_TTL,))
    cur = await db.execute(
        "DELETE FROM feedback_items WHERE created_at < ? AND status IN ('answered', 'published')", (cutoff,))
    return int(cur.rowcount or 0)


class Feedback:
    """The feedback register (`feedback_items`) and the drafts citizens are writing (`feedback_drafts`)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def draft(self, channel: str, user_id: str) -> tuple[str, dict[str, str]] | None:
        """(step, fields so far) of the feedback this person is writing, unless it went stale."""
        row = await self.database.one("SELECT step, fields, updated_at FROM feedback_drafts WHERE channel = ?"
                                      " AND user_id = ?", (channel, user_id))
        if row is None or float(row[2]) < self.database.clock.now() - DRAFT_TTL:
            return None
        return str(row[0]), json.loads(row[1])

    async def save_draft(self, user: User, step: str, fields: dict[str, str], turn: Turn | None = None) -> None:
        """Remember where this person's feedback stands."""
        await self.database.execute(
            "INSERT INTO feedback_drafts (channel, user_id, chat_id, step, fields, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (channel, user_id) DO UPDATE SET chat_id = excluded.chat_id, step = excluded.step,"
            " fields = excluded.fields, updated_at = excluded.updated_at",
            (user.channel, user.user_id, user.chat_id, step, json.dumps(fields, ensure_ascii=False),
             self.database.clock.now()), turn)

    async def drop_draft(self, channel: str, user_id: str, turn: Turn | None = None) -> None:
        """Forget a feedback being written (cancelled)."""
        await self.database.execute("DELETE FROM feedback_drafts WHERE channel = ? AND user_id = ?",
                                    (channel, user_id), turn)

    async def file(self, user: User, fields: dict[str, str], notice: tuple[str, str, str] | None,
                   turn: Turn | None = None) -> FeedbackItem:
        """File the draft as a register item, drop the draft and queue the officers' notice, in one transaction.

        `notice` is (channel, chat, text) of the officers' destination, with `{code}` in the text."""
        now = self.database.clock.now()

        async def file(db: Conn) -> int:
            rows = list(await db.execute_fetchall(
                "INSERT INTO feedback_items (channel, chat_id, user_id, subject, content, proposal, sender_name,"
                " sender_contact, created_at, status_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (user.channel, user.chat_id, user.user_id, fields.get("subject", ""), fields.get("content", ""),
                 fields.get("proposal", ""), fields.get("name", ""), fields.get("contact", ""), now, now)))
            item_id = int(rows[0][0])
            await db.execute("DELETE FROM feedback_drafts WHERE channel = ? AND user_id = ?",
                             (user.channel, user.user_id))
            if notice is not None:
                await queue_message(db, notice[:2], f"feedback_new:{item_id}",
                                    notice[2].replace("{code}", f"PA-{item_id}"), OFFICER_LANE, now)
            return item_id
        item_id = await self.database.write(file, turn)
        self.database.queued.ring()
        item = await self.item(item_id)
        assert item is not None
        return item

    async def item(self, item_id: int) -> FeedbackItem | None:
        """One register item."""
        row = await self.database.one(f"SELECT {_COLS} FROM feedback_items WHERE id = ?", (item_id,))
        return _item(row) if row is not None else None

    async def of(self, channel: str, user_id: str, limit: int = 20) -> list[FeedbackItem]:
        """A citizen's own items, newest first."""
        rows = await self.database.all(f"SELECT {_COLS} FROM feedback_items WHERE channel = ? AND user_id = ?"
                                       " ORDER BY id DESC LIMIT ?", (channel, user_id, limit))
        return [_item(r) for r in rows]

    async def register(self, status: str = "", limit: int = 500) -> list[FeedbackItem]:
        """The register oldest first, optionally one status."""
        where, params = ("WHERE status = ?", (status,)) if status else ("", ())
        rows = await self.database.all(f"SELECT {_COLS} FROM feedback_items {where} ORDER BY id LIMIT ?",
                                       (*params, limit))
        return [_item(r) for r in rows]

    async def set_status(self, item_id: int, status: str, body: str, officer: str,
                         message: tuple[str, str, str] | None = None) -> bool:
        """Move an unfinished item to `status` (`body`: where it was transferred), or an answered one to published,
        telling the citizen `message` ((channel, chat, text)) through the outbox; False when not allowed."""
        now = self.database.clock.now()

        async def move(db: Conn) -> bool:
            cur = await db.execute(
                "UPDATE feedback_items SET status = ?, transferred_to = CASE WHEN ? = '' THEN transferred_to ELSE ?"
                " END, status_at = ?, updated_by = ? WHERE id = ? AND CASE WHEN ? = 'published'"
                " THEN status = 'answered' ELSE status NOT IN ('answered', 'published') END",
                (status, body, body, now, officer, item_id, status))
            if cur.rowcount == 1:
                await record_action(db, officer, f"feedback_{status}", None, f"PA-{item_id} {body}".strip(), now)
                if message is not None:
                    await queue_message(db, message[:2], f"feedback:{item_id}:{status}", message[2], CITIZEN_LANE,
                                        now)
            return bool(cur.rowcount == 1)
        moved = await self.database.write(move)
        self.database.queued.ring()
        return moved

    async def answer(self, item_id: int, answer: str, officer: str, message: tuple[str, str, str] | None) -> bool:
        """Answer an unfinished item and queue the answer to the citizen, atomically; False if finished."""
        now = self.database.clock.now()

        async def answer_it(db: Conn) -> bool:
            cur = await db.execute(
                "UPDATE feedback_items SET status = 'answered', answer = ?, answered_by = ?, status_at = ?,"
                " updated_by = ? WHERE id = ? AND status NOT IN ('answered', 'published')",
                (answer, officer, now, officer, item_id))
            if cur.rowcount == 1 and message is not None:
                await queue_message(db, message[:2], f"feedback:{item_id}:answer", message[2], CITIZEN_LANE, now)
                await record_action(db, officer, "feedback_answered", None, f"PA-{item_id}", now)
            return bool(cur.rowcount == 1)
        answered = await self.database.write(answer_it)
        self.database.queued.ring()
        return answered

    async def deliveries(self, item_id: int) -> list[dict[str, Any]]:
        """The messages sent to the citizen about one item, oldest first, with their delivery state."""
        rows = await self.database.all("SELECT kind, status, created_at, sent_at FROM outbox WHERE kind LIKE ?"
                                       " ORDER BY id", (f"feedback:{item_id}:%",))
        return [dict(r) for r in rows]

    async def times(self) -> list[tuple[str, float]]:
        """(status, created_at) of every item, for counts by status and month."""
        rows = await self.database.all("SELECT status, created_at FROM feedback_items ORDER BY created_at")
        return [(str(r[0]), float(r[1])) for r in rows]
