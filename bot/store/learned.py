"""Officers' learned knowledge and the knowledge version: every change to one bumps the other in its transaction.

Every papibot process sharing the database reads the version every few seconds (one row) and reloads its
knowledge when it moved, so a promotion in one process reaches them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.store.database import Database
from bot.store.dbapi import Conn
from bot.understanding.learn import QUESTION, TOPIC, LearnedItem

ITEM_COLS = "kind, topic_id, body, ticket_id, question_id"


async def _bump(db: Conn, now: float) -> None:
    """Increment the knowledge version (the row is made on first use, so a fresh database holds none)."""
    await db.execute(
        "INSERT INTO knowledge_state (id, version, initialised, updated_at) VALUES (1, 1, 0, ?)"
        " ON CONFLICT (id) DO UPDATE SET version = knowledge_state.version + 1,"
        " updated_at = excluded.updated_at", (now,))


async def _insert(db: Conn, items: Iterable[LearnedItem], now: float) -> None:
    for item in items:
        await db.execute(f"INSERT INTO learned_items ({ITEM_COLS}, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                         (item.kind, item.topic_id, item.body, item.ticket_id, item.question_id, now))


async def _new_questions(db: Conn, items: list[LearnedItem]) -> list[LearnedItem]:
    new: dict[tuple[str, str], LearnedItem] = {}
    for item in items:
        found = await db.execute_fetchall("SELECT 1 FROM learned_items WHERE kind = ? AND topic_id = ? AND body = ?",
                                          (QUESTION, item.topic_id, item.body))
        if not list(found):
            new.setdefault((item.topic_id, item.body), item)
    return list(new.values())


async def forget_learned(db: Conn, tickets: set[int], who: tuple[str, str], now: float) -> int:
    """Inside an erasure, before the person's questions are emptied: remove what was learned from their tickets
    and from their questions, and every example identical to something they asked, bumping the version if
    anything went."""
    marks = ", ".join("?" for _ in tickets) or "NULL"
    gone = await db.execute(
        f"DELETE FROM learned_items WHERE ticket_id IN ({marks})"
        " OR question_id IN (SELECT id FROM questions WHERE channel = ? AND user_id = ?)"
        " OR (kind = ? AND body IN (SELECT trim(text) FROM questions WHERE channel = ? AND user_id = ?"
        " AND text != ''))", (*tickets, *who, QUESTION, *who))
    if gone.rowcount:
        await _bump(db, now)
    return int(gone.rowcount or 0)


class Learned:
    """The `learned_items` and `knowledge_state` tables."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def version(self) -> int:
        """The knowledge version: the cheap read every process repeats to notice a change."""
        return int(await self.database.value("SELECT version FROM knowledge_state WHERE id = 1") or 0)

    async def initialised(self) -> bool:
        """Whether the learned store was ever filled (the one-time import of a learned.yaml happened)."""
        return bool(await self.database.value("SELECT initialised FROM knowledge_state WHERE id = 1"))

    async def snapshot(self) -> tuple[int, list[LearnedItem]]:
        """The version, then the items: a change between the two reads only makes the next check reload again."""
        version = await self.version()
        rows = await self.database.all(f"SELECT {ITEM_COLS} FROM learned_items ORDER BY id")
        return version, [LearnedItem(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    async def add_questions(self, topic_id: str, texts: list[str], ticket_id: int | None = None,
                            origins: Mapping[str, int] | None = None) -> int:
        """Add example questions to a topic (linked to their ticket, or to the citizen's question each was taken
        from), skipping those it has; how many were new."""
        items = [LearnedItem(QUESTION, topic_id, text, ticket_id, (origins or {}).get(text)) for text in texts]
        now = self.database.clock.now()

        async def add(db: Conn) -> int:
            new = await _new_questions(db, items)
            await _insert(db, new, now)
            if new:
                await _bump(db, now)
            return len(new)
        return await self.database.write(add)

    async def put_topic(self, topic_id: str, body: str, ticket_id: int | None = None,
                        questions: list[LearnedItem] | None = None) -> None:
        """Create or replace a learned topic (its fields as JSON), with example questions stored apart from it."""
        now = self.database.clock.now()

        async def put(db: Conn) -> None:
            await db.execute("DELETE FROM learned_items WHERE kind = ? AND topic_id = ?", (TOPIC, topic_id))
            topic = LearnedItem(TOPIC, topic_id, body, ticket_id)
            await _insert(db, [topic, *await _new_questions(db, questions or [])], now)
            await _bump(db, now)
        await self.database.write(put)

    async def origin(self, topic_id: str, question: str) -> tuple[int | None, int | None] | None:
        """The ticket and the citizen's question a learned example came from (None when there is no such example)."""
        row = await self.database.one("SELECT ticket_id, question_id FROM learned_items WHERE kind = ?"
                                      " AND topic_id = ? AND body = ?", (QUESTION, topic_id, question))
        return (row[0], row[1]) if row else None

    async def remove(self, topic_id: str, question: str | None = None) -> bool:
        """Remove one example question, or (no question) a learned topic with the examples added to it."""
        now = self.database.clock.now()

        async def remove(db: Conn) -> bool:
            if question is None:
                gone = await db.execute("DELETE FROM learned_items WHERE kind = ? AND topic_id = ?", (TOPIC, topic_id))
                if gone.rowcount:  # examples added to a removed topic would dangle
                    await db.execute("DELETE FROM learned_items WHERE topic_id = ?", (topic_id,))
            else:
                gone = await db.execute("DELETE FROM learned_items WHERE kind = ? AND topic_id = ? AND body = ?",
                                        (QUESTION, topic_id, question))
            if gone.rowcount:
                await _bump(db, now)
            return bool(gone.rowcount)
        return await self.database.write(remove)

    async def replace(self, items: list[LearnedItem], first: bool = False) -> bool:
        """Put these items in place of every learned one; with `first`, only if the store was never filled."""
        now = self.database.clock.now()

        async def replace(db: Conn) -> bool:
            rows = list(await db.execute_fetchall("SELECT initialised FROM knowledge_state WHERE id = 1"))
            if first and rows and rows[0][0]:
                return False  # another process imported first, or officers have used the store since
            await db.execute("DELETE FROM learned_items")
            await _insert(db, items, now)
            await _bump(db, now)
            await db.execute("UPDATE knowledge_state SET initialised = 1 WHERE id = 1")
            return True
        return await self.database.write(replace)

    async def bump(self) -> int:
        """An officer reloaded the knowledge files: every process reloads; returns the new version."""
        now = self.database.clock.now()

        async def bump(db: Conn) -> int:
            await _bump(db, now)
            rows = list(await db.execute_fetchall("SELECT version FROM knowledge_state WHERE id = 1"))
            return int(rows[0][0]) if rows else 0
        return await self.database.write(bump)
