"""Erasure on request and retention by age: the statements every table's owner provides, in one transaction."""

from __future__ import annotations

import time

from bot.kernel.models import PENDING
from bot.store.database import Database, Turn
from bot.store.dbapi import Conn
from bot.store.feedback import erase_feedback, purge_feedback
from bot.store.learned import forget_learned
from bot.store.survey import OFFERS_KEPT_DAYS, erase_survey_link, purge_survey_offers

PURGE_LOCK = 0x7075726765  # advisory lock key of the retention purge on a shared database ("purge")
# The tables keyed by (channel, user_id) that hold nothing once a person is erased.
PERSONAL = ("menus", "conversations", "contacts", "inbound_events", "takeovers")
DAY = 86400.0


async def _erase(db: Conn, channel: str, user_id: str, now: float) -> tuple[int, set[int]]:
    who = (channel, user_id)
    rows = list(await db.execute_fetchall("SELECT id, chat_id FROM tickets WHERE channel = ? AND user_id = ?", who))
    tickets = {int(r[0]) for r in rows}
    await forget_learned(db, tickets, who, now)  # what was learned from their words goes too
    marks = ", ".join("?" for _ in tickets) or "NULL"
    await db.execute(f"DELETE FROM outbox WHERE ticket_id IN ({marks})", tuple(tickets))
    # Their private chat's messages (in a group, only the messages about their own tickets go).
    await db.execute("DELETE FROM outbox WHERE channel = ? AND chat_id = ?", who)
    await db.execute(f"UPDATE admin_actions SET detail = '' WHERE ticket_id IN ({marks})", tuple(tickets))
    t = await db.execute(
        "UPDATE tickets SET chat_id = 'erased', user_id = 'erased', display_name = '', question = '',"
        " norm = '', answer = CASE WHEN answer IS NULL THEN NULL ELSE '' END, closed_reason = NULL,"
        " context = '[]' WHERE channel = ? AND user_id = ?", who)
    q = await db.execute("UPDATE questions SET chat_id = 'erased', user_id = 'erased', text = '',"
                         " update_id = NULL WHERE channel = ? AND user_id = ?", who)
    for table in PERSONAL:
        await db.execute(f"DELETE FROM {table} WHERE channel = ? AND user_id = ?", who)
    voice = await erase_survey_link(db, *who) + await erase_feedback(db, *who)
    return (q.rowcount or 0) + (t.rowcount or 0) + voice, tickets


async def _purge(db: Conn, cutoff: float, now: float) -> int:
    q = await db.execute("DELETE FROM questions WHERE created_at < ?", (cutoff,))
    await db.execute("DELETE FROM outbox WHERE created_at < ? AND status IN ('sent', 'undeliverable')", (cutoff,))
    t = await db.execute("DELETE FROM tickets WHERE created_at < ? AND status != ?", (cutoff, PENDING))
    await db.execute("UPDATE admin_actions SET detail = '' WHERE at < ?", (cutoff,))
    # Platforms redeliver an update for a day or so: older processed ids are dead weight.
    await db.execute("DELETE FROM processed_updates WHERE at < ?", (now - 3 * DAY,))
    await db.execute("DELETE FROM menus WHERE expires_at < ?", (now,))
    await db.execute("DELETE FROM conversations WHERE updated_at < ?", (now - DAY,))
    # Raw platform events are kept only while a redelivery can still arrive (Zalo retries for an hour).
    await db.execute("DELETE FROM inbound_events WHERE status = 'done' AND received_at < ?", (now - 3 * DAY,))
    await db.execute("DELETE FROM sent_messages WHERE at < ?", (now - 7 * DAY,))
    voice = await purge_feedback(db, cutoff, now)
    await purge_survey_offers(db, time.strftime("%Y-%m-%d", time.gmtime(now - OFFERS_KEPT_DAYS * DAY)))
    return (q.rowcount or 0) + (t.rowcount or 0) + voice


class Retention:
    """What is kept about people, and for how long."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def erase(self, channel: str, user_id: str, turn: Turn | None = None) -> tuple[int, set[int]]:
        """Erase a citizen (Decree 13/2023/NĐ-CP): their words, ids, messages and what was learned from them go;
        what the statistics count stays anonymous (ticket numbers, statuses, times, decisions). (records, tickets).
        """
        now = self.database.clock.now()

        async def erase(db: Conn) -> tuple[int, set[int]]:
            return await _erase(db, channel, user_id, now)
        erased = await self.database.write(erase, turn)
        await self.database.scrub()
        return erased

    async def purge(self, cutoff: float) -> int:
        """Erase citizens' questions, finished tickets, delivered messages and audit excerpts older than `cutoff`."""
        async with self.database.coordination.try_lock(PURGE_LOCK) as held:  # several processes: one purges
            if not held:
                return 0
            now = self.database.clock.now()

            async def purge(db: Conn) -> int:
                return await _purge(db, cutoff, now)
            removed = await self.database.write(purge)
            await self.database.scrub(vacuum=True)  # also the dead row versions erasures left since the last run
            return removed
