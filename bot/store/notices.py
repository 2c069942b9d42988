"""The officers' notices as the outbox keeps them: which post announced a ticket in which chat, notices that did
not arrive (for the console and the other destinations), one-time notices, and the inbox's live count."""

from __future__ import annotations

from typing import Any

from bot.store.database import Database
from bot.store.dbapi import Conn
from bot.store.outbox import OFFICER_LANE, queue_message

PROBLEM_DAYS = 7  # notices that did not arrive are listed on the console this long
# A ticket's post in one chat: its kind is `admin_post` at the first destination, `admin_post@<n>` at the others.
_POST = "kind LIKE 'admin_post%' AND channel = ? AND chat_id = ?"


async def ticket_of_post(database: Database, channel: str, chat_id: str, message_id: str) -> int | None:
    """The ticket a post in an officers' chat announced (by the platform's message id in that chat)."""
    value = await database.value(
        f"SELECT ticket_id FROM outbox WHERE {_POST} AND message_id = ? AND ticket_id IS NOT NULL"
        " ORDER BY id DESC LIMIT 1", (channel, chat_id, message_id))
    return int(value) if value is not None else None


class Notices:
    """Reads over the officers' lane of the outbox, and notices queued once for good."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def ticket_of_post(self, channel: str, chat_id: str, message_id: str) -> int | None:
        """The ticket a post in an officers' chat announced (by the platform's message id in that chat)."""
        return await ticket_of_post(self.database, channel, chat_id, message_id)

    async def post_id(self, ticket_id: int, channel: str, chat_id: str) -> str | None:
        """The platform id of the post that announced a ticket in one officers' chat, once sent."""
        value = await self.database.value(
            f"SELECT message_id FROM outbox WHERE ticket_id = ? AND {_POST} AND message_id IS NOT NULL"
            " ORDER BY id LIMIT 1", (ticket_id, channel, chat_id))
        return str(value) if value is not None else None

    async def failing_before(self, channel: str, chat_id: str, item_id: int) -> bool:
        """True when a notice to this chat older than `item_id` failed after the last one that arrived there."""
        value = await self.database.value(
            "SELECT count(*) FROM outbox WHERE lane = ? AND channel = ? AND chat_id = ? AND status = 'undeliverable'"
            " AND id < ? AND id > coalesce((SELECT max(id) FROM outbox WHERE lane = ? AND channel = ?"
            " AND chat_id = ? AND status = 'sent'), 0)",
            (OFFICER_LANE, channel, chat_id, item_id, OFFICER_LANE, channel, chat_id))
        return bool(value)

    async def problems(self, limit: int = 20) -> list[dict[str, Any]]:
        """Officers' notices of the last PROBLEM_DAYS days that could not be delivered or are being retried,
        newest first."""
        rows = await self.database.all(
            "SELECT id, channel, chat_id, kind, ticket_id, status, attempts, last_error, created_at FROM outbox"
            " WHERE lane = ? AND created_at >= ? AND (status = 'undeliverable'"
            " OR (status IN ('pending', 'uncertain') AND attempts > 0)) ORDER BY id DESC LIMIT ?",
            (OFFICER_LANE, self.database.clock.now() - PROBLEM_DAYS * 86400, limit))
        return [dict(r) for r in rows]

    async def live(self) -> dict[str, int]:
        """What the open inbox watches: pending tickets, the newest ticket, notices that did not arrive."""
        row = await self.database.one("SELECT count(*), coalesce(max(id), 0) FROM tickets WHERE status = 'pending'")
        problems = await self.database.value(
            "SELECT count(*) FROM outbox WHERE lane = ? AND status = 'undeliverable' AND created_at >= ?",
            (OFFICER_LANE, self.database.clock.now() - PROBLEM_DAYS * 86400))
        pending, latest = (int(row[0]), int(row[1])) if row is not None else (0, 0)
        return {"pending": pending, "latest": latest, "problems": int(problems or 0)}

    async def once(self, marker: str, sender: str, places: list[tuple[str, str]], text: str, lane: str) -> bool:
        """Queue a notice to each (channel, chat) unless `marker` is in the audit trail, and record it there, in one
        transaction; False when it was queued before (by this process or another, before a restart or not)."""
        now = self.database.clock.now()

        async def once(db: Conn) -> bool:
            cur = await db.execute(
                "INSERT INTO admin_actions (admin_id, action, ticket_id, detail, at)"
                " SELECT ?, ?, NULL, ?, CAST(? AS DOUBLE PRECISION)"
                " WHERE NOT EXISTS (SELECT 1 FROM admin_actions WHERE action = ?)",
                (sender, marker, ", ".join(f"{c}:{chat}" for c, chat in places), now, marker))
            if not cur.rowcount:
                return False
            for place in places:
                await queue_message(db, place, marker[:60], text, lane, now)
            return True
        queued = await self.database.write(once)
        self.database.queued.ring()
        return queued
