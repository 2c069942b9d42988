"""Doubtful answers for officers to review: the list, the citizen's turns around each, verdicts and their counts."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.audit import record_action
from bot.store.database import Database
from bot.store.dbapi import Conn
from bot.understanding.turns import CONTEXT_TTL

_ITEM = "id, channel, user_id, text, topic, score, doubt, created_at"
_TURN = "id, text, decision, topic, created_at"


@dataclass(frozen=True)
class DoubtItem:
    """A logged answer the bot gave with doubt ("context" or "margin"), not yet judged by an officer."""

    id: int
    channel: str
    user_id: str
    text: str
    topic: str | None
    score: float
    doubt: str
    created_at: float


@dataclass(frozen=True)
class NearbyTurn:
    """Another message of the same citizen, close in time to a doubtful answer."""

    id: int
    text: str
    decision: str
    topic: str | None
    created_at: float


@dataclass(frozen=True)
class DoubtCounts:
    """Doubtful answers logged in a period, those still open (erased ones never are), and the verdicts given in it."""

    flagged: int = 0
    context: int = 0
    margin: int = 0
    open: int = 0
    right: int = 0
    dismissed: int = 0
    taught: int = 0


class Doubts:
    """Reads and verdicts over the doubtful answers of the question log (the "Chưa hiểu" page)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def pending(self, limit: int = 100) -> list[DoubtItem]:
        """Doubtful answers no officer has judged yet, newest first (erased citizens' texts never)."""
        rows = await self.database.all(
            f"SELECT {_ITEM} FROM questions WHERE doubt IS NOT NULL AND verdict IS NULL AND text != ''"
            " ORDER BY created_at DESC, id DESC LIMIT ?", (limit,))
        return [DoubtItem(**dict(r)) for r in rows]

    async def item(self, question_id: int) -> DoubtItem | None:
        """One doubtful answer not yet judged, if it is one."""
        row = await self.database.one(f"SELECT {_ITEM} FROM questions WHERE id = ? AND doubt IS NOT NULL"
                                      " AND verdict IS NULL AND text != ''", (question_id,))
        return DoubtItem(**dict(row)) if row else None

    async def turns_around(self, item: DoubtItem, count: int = 2,
                           window: float = CONTEXT_TTL) -> tuple[list[NearbyTurn], list[NearbyTurn]]:
        """The citizen's messages just before and just after an answer (up to `count` each, within `window` s)."""
        who = (item.channel, item.user_id)
        before = await self.database.all(
            f"SELECT {_TURN} FROM questions WHERE channel = ? AND user_id = ? AND text != ''"
            " AND (created_at < ? OR (created_at = ? AND id < ?)) AND created_at >= ?"
            " ORDER BY created_at DESC, id DESC LIMIT ?",
            (*who, item.created_at, item.created_at, item.id, item.created_at - window, count))
        after = await self.database.all(
            f"SELECT {_TURN} FROM questions WHERE channel = ? AND user_id = ? AND text != ''"
            " AND (created_at > ? OR (created_at = ? AND id > ?)) AND created_at <= ?"
            " ORDER BY created_at, id LIMIT ?",
            (*who, item.created_at, item.created_at, item.id, item.created_at + window, count))
        return [NearbyTurn(**dict(r)) for r in reversed(before)], [NearbyTurn(**dict(r)) for r in after]

    async def judge(self, question_id: int, verdict: str, officer: str) -> bool:
        """Record an officer's verdict on a doubtful answer, with an audit row; False if judged or not doubtful."""
        now = self.database.clock.now()

        async def judge(db: Conn) -> bool:
            cur = await db.execute("UPDATE questions SET verdict = ?, verdict_by = ?, verdict_at = ?"
                                   " WHERE id = ? AND doubt IS NOT NULL AND verdict IS NULL",
                                   (verdict, officer, now, question_id))
            if cur.rowcount == 1:  # the detail names the question only: an erasure must not leave its text here
                await record_action(db, officer, f"doubt_{verdict}", None, f"#{question_id}", now)
            return bool(cur.rowcount == 1)
        return await self.database.write(judge)

    async def counts(self, since: float = 0.0, until: float = float("inf")) -> DoubtCounts:
        """Doubtful answers logged in [since, until), those of them still open, and the verdicts given then."""
        span = (since, min(until, 1e12))
        flagged = await self.database.one(
            "SELECT count(*), coalesce(sum(CASE WHEN doubt = 'context' THEN 1 ELSE 0 END), 0),"
            " coalesce(sum(CASE WHEN verdict IS NULL AND text != '' THEN 1 ELSE 0 END), 0) FROM questions"
            " WHERE doubt IS NOT NULL AND created_at >= ? AND created_at < ?", span)
        rows = await self.database.all("SELECT verdict, count(*) FROM questions WHERE verdict IS NOT NULL"
                                       " AND verdict_at >= ? AND verdict_at < ? GROUP BY verdict", span)
        verdicts = {str(r[0]): int(r[1]) for r in rows}
        total, context, still = (int(flagged[0]), int(flagged[1]), int(flagged[2])) if flagged else (0, 0, 0)
        return DoubtCounts(total, context, total - context, still, int(verdicts.get("right", 0)),
                           int(verdicts.get("dismissed", 0)), int(verdicts.get("taught", 0)))
