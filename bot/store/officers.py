"""The officers' notices as the outbox keeps them: which post announced a ticket in which chat, notices that did
not arrive (for the console and the other destinations), and the inbox's live count."""

from __future__ import annotations

import time
from typing import Any

from bot.store.outbox import OFFICER_LANE, OutboxStore

PROBLEM_DAYS = 7  # notices that did not arrive are listed on the console this long
# A ticket's post in one chat: its kind is `admin_post` at the first destination, `admin_post@<n>` at the others.
_POST = "kind LIKE 'admin_post%' AND channel = ? AND chat_id = ?"


class OfficersStore(OutboxStore):
    """Reads over the officers' lane of the outbox."""

    async def ticket_of_post(self, channel: str, chat_id: str, message_id: str) -> int | None:
        """The ticket a post in an officers' chat announced (by the platform's message id in that chat)."""
        value = await self._value(
            f"SELECT ticket_id FROM outbox WHERE {_POST} AND message_id = ? AND ticket_id IS NOT NULL"
            " ORDER BY id DESC LIMIT 1", (channel, chat_id, message_id))
        return int(value) if value is not None else None

    async def officer_post_id(self, ticket_id: int, channel: str, chat_id: str) -> str | None:
        """The platform id of the post that announced a ticket in one officers' chat, once sent."""
        value = await self._value(
            f"SELECT message_id FROM outbox WHERE ticket_id = ? AND {_POST} AND message_id IS NOT NULL"
            " ORDER BY id LIMIT 1", (ticket_id, channel, chat_id))
        return str(value) if value is not None else None

    async def failing_before(self, channel: str, chat_id: str, item_id: int) -> bool:
        """True when a notice to this chat older than `item_id` failed after the last one that arrived there."""
        value = await self._value(
            "SELECT count(*) FROM outbox WHERE lane = ? AND channel = ? AND chat_id = ? AND status = 'undeliverable'"
            " AND id < ? AND id > coalesce((SELECT max(id) FROM outbox WHERE lane = ? AND channel = ?"
            " AND chat_id = ? AND status = 'sent'), 0)",
            (OFFICER_LANE, channel, chat_id, item_id, OFFICER_LANE, channel, chat_id))
        return bool(value)

    async def notice_problems(self, limit: int = 20) -> list[dict[str, Any]]:
        """Officers' notices of the last PROBLEM_DAYS days that could not be delivered or are being retried,
        newest first."""
        rows = await self._all(
            "SELECT id, channel, chat_id, kind, ticket_id, status, attempts, last_error, created_at FROM outbox"
            " WHERE lane = ? AND created_at >= ? AND (status = 'undeliverable'"
            " OR (status IN ('pending', 'uncertain') AND attempts > 0)) ORDER BY id DESC LIMIT ?",
            (OFFICER_LANE, time.time() - PROBLEM_DAYS * 86400, limit))
        return [dict(r) for r in rows]

    async def inbox_live(self) -> dict[str, int]:
        """What the open inbox watches: pending tickets, the newest ticket, notices that did not arrive."""
        row = await self._one("SELECT count(*), coalesce(max(id), 0) FROM tickets WHERE status = 'pending'")
        problems = await self._value(
            "SELECT count(*) FROM outbox WHERE lane = ? AND status = 'undeliverable' AND created_at >= ?",
            (OFFICER_LANE, time.time() - PROBLEM_DAYS * 86400))
        pending, latest = (int(row[0]), int(row[1])) if row is not None else (0, 0)
        return {"pending": pending, "latest": latest, "problems": int(problems or 0)}
