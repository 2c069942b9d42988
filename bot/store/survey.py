"""The satisfaction survey's storage: anonymous answers by a random token, and each person's last offer date.

The answers hold no person id and only the month they were given; `survey_offers` (channel, user id, the day
a survey was last offered and whether it was started) is the one link to a person, and erasure removes it.
"""

from __future__ import annotations

import json

from bot.store.database import Database, Turn
from bot.store.dbapi import Conn

OFFERS_KEPT_DAYS = 60  # an offer older than this limits nothing (every_days is 30): retention drops it


async def erase_survey_link(db: Conn, channel: str, user_id: str) -> int:
    """Erasure: the person's offer date goes; their answers were never linked to them and stay."""
    cur = await db.execute("DELETE FROM survey_offers WHERE channel = ? AND user_id = ?", (channel, user_id))
    return int(cur.rowcount or 0)


async def purge_survey_offers(db: Conn, before_day: str) -> None:
    """Retention: offers made before `before_day` (ISO) no longer limit anything."""
    await db.execute("DELETE FROM survey_offers WHERE offered_on < ?", (before_day,))


class Survey:
    """Survey offers (per person) and responses (per random token, anonymous)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def offer(self, channel: str, user_id: str) -> tuple[str, bool] | None:
        """(the ISO day a survey was last offered to this person, whether they started it), or None."""
        row = await self.database.one("SELECT offered_on, started FROM survey_offers WHERE channel = ?"
                                      " AND user_id = ?", (channel, user_id))
        return (str(row[0]), bool(row[1])) if row is not None else None

    async def record_offer(self, channel: str, user_id: str, day: str, started: bool,
                           turn: Turn | None = None) -> None:
        """Remember that a survey was offered (or started) to this person on `day`."""
        await self.database.execute(
            "INSERT INTO survey_offers (channel, user_id, offered_on, started) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (channel, user_id) DO UPDATE SET offered_on = excluded.offered_on,"
            " started = excluded.started", (channel, user_id, day, int(started)), turn)

    async def save_answers(self, token: str, month: str, lang: str, answers: dict[str, str], steps: int,
                           turn: Turn | None = None) -> None:
        """Store (or extend) the anonymous answers of one survey, keyed by its random token; `steps` answers were
        given in all, and an old button pressed again (fewer steps) never shortens what is stored."""
        await self.database.execute(
            "INSERT INTO survey_responses (token, month, lang, answers, steps) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (token) DO UPDATE SET answers = excluded.answers, steps = excluded.steps"
            " WHERE excluded.steps >= survey_responses.steps",
            (token, month, lang, json.dumps(answers, ensure_ascii=False, sort_keys=True), steps), turn)

    async def answers(self) -> list[tuple[str, dict[str, str]]]:
        """Every survey's (month, answers), oldest month first."""
        rows = await self.database.all("SELECT month, answers FROM survey_responses ORDER BY month")
        return [(str(r[0]), json.loads(r[1])) for r in rows]
