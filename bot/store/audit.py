"""Officers' audit trail: who did what to which ticket, and when."""

from __future__ import annotations

from typing import Any

from bot.store.database import Database, Turn
from bot.store.dbapi import Conn


async def record_action(db: Conn, officer: str, action: str, ticket_id: int | None, detail: str,
                        now: float) -> None:
    """Add one row to the audit trail, inside the transaction of what it records."""
    await db.execute("INSERT INTO admin_actions (admin_id, action, ticket_id, detail, at) VALUES (?, ?, ?, ?, ?)",
                     (officer, action, ticket_id, detail, now))


class Audit:
    """The `admin_actions` table."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def record(self, officer: str, action: str, ticket_id: int | None = None, detail: str = "",
                     turn: Turn | None = None) -> None:
        """Record an officer's action (who as `channel:id`, what, when)."""
        await self.database.execute(
            "INSERT INTO admin_actions (admin_id, action, ticket_id, detail, at) VALUES (?, ?, ?, ?, ?)",
            (officer, action, ticket_id, detail, self.database.clock.now()), turn)

    async def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        """Most recent officer actions first."""
        rows = await self.database.all("SELECT * FROM admin_actions ORDER BY id DESC LIMIT ?", (limit,))
        return [dict(r) for r in rows]
