"""The officers' inbox on the web console: tickets filtered, with whom each is assigned to."""

from __future__ import annotations

from bot.kernel.models import Ticket
from bot.store.audit import record_action
from bot.store.database import Database
from bot.store.dbapi import Conn

_COLS = ("t.id, t.channel, t.chat_id, t.user_id, t.display_name, t.question, t.status, t.created_at, t.answer,"
         " t.answered_by, t.answered_at, t.closed_reason, t.admin_message_id")


class Inbox:
    """The `ticket_assignments` table and the inbox's listing."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def tickets(self, status: str = "", channel: str = "", officer: str = "", search: str = "",
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
        rows = await self.database.all(
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
        value = await self.database.value("SELECT officer FROM ticket_assignments WHERE ticket_id = ?", (ticket_id,))
        return str(value) if value else None

    async def assign(self, ticket_id: int, officer: str, by: str) -> None:
        """Assign a ticket to an officer (replacing any earlier assignment), with an audit row."""
        now = self.database.clock.now()

        async def assign(db: Conn) -> None:
            await db.execute("INSERT INTO ticket_assignments (ticket_id, officer, assigned_by, at) VALUES (?, ?, ?, ?)"
                             " ON CONFLICT (ticket_id) DO UPDATE SET officer = excluded.officer,"
                             " assigned_by = excluded.assigned_by, at = excluded.at", (ticket_id, officer, by, now))
            await record_action(db, by, "assign", ticket_id, officer, now)
        await self.database.write(assign)
