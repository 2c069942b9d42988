"""Officers' learned knowledge and the knowledge version: every change to one bumps the other in its transaction.

Every papibot process sharing the database reads the version every few seconds (one row) and reloads its
knowledge when it moved, so a promotion in one process reaches them all.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

from bot.store.dbapi import Conn
from bot.store.sqlite import Database
from bot.understanding.learn import QUESTION, TOPIC, LearnedItem

ITEM_COLS = "kind, topic_id, body, ticket_id, question_id"


class LearnedStore(Database):
    """SQL for the learned items and the knowledge version."""

    async def _bump(self, db: Conn) -> None:
        """Increment the knowledge version (the row is made on first use, so a fresh database holds none)."""
        await db.execute(
            "INSERT INTO knowledge_state (id, version, initialised, updated_at) VALUES (1, 1, 0, ?)"
            " ON CONFLICT (id) DO UPDATE SET version = knowledge_state.version + 1,"
            " updated_at = excluded.updated_at", (time.time(),))

    async def _insert(self, db: Conn, items: Iterable[LearnedItem]) -> None:
        for item in items:
            await db.execute(f"INSERT INTO learned_items ({ITEM_COLS}, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                             (item.kind, item.topic_id, item.body, item.ticket_id, item.question_id, time.time()))

    async def knowledge_version(self) -> int:
        """The knowledge version: the cheap read every process repeats to notice a change."""
        return int(await self._value("SELECT version FROM knowledge_state WHERE id = 1") or 0)

    async def learned_initialised(self) -> bool:
        """Whether the learned store was ever filled (the one-time import of a learned.yaml happened)."""
        return bool(await self._value("SELECT initialised FROM knowledge_state WHERE id = 1"))

    async def learned_snapshot(self) -> tuple[int, list[LearnedItem]]:
        """The version, then the items: a change between the two reads only makes the next check reload again."""
        version = await self.knowledge_version()
        rows = await self._all(f"SELECT {ITEM_COLS} FROM learned_items ORDER BY id")
        return version, [LearnedItem(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    async def add_learned_questions(self, topic_id: str, texts: list[str], ticket_id: int | None = None,
                                    origins: Mapping[str, int] | None = None) -> int:
        """Add example questions to a topic (linked to their ticket, or to the citizen's question each was taken
        from), skipping those it has; how many were new."""
        items = [LearnedItem(QUESTION, topic_id, text, ticket_id, (origins or {}).get(text)) for text in texts]
        async with self._tx() as db:
            new = await self._new_questions(db, items)
            await self._insert(db, new)
            if new:
                await self._bump(db)
        return len(new)

    async def _new_questions(self, db: Conn, items: list[LearnedItem]) -> list[LearnedItem]:
        new: dict[tuple[str, str], LearnedItem] = {}
        for item in items:
            async with db.execute("SELECT 1 FROM learned_items WHERE kind = ? AND topic_id = ? AND body = ?",
                                  (QUESTION, item.topic_id, item.body)) as cur:
                if await cur.fetchone() is None:
                    new.setdefault((item.topic_id, item.body), item)
        return list(new.values())

    async def put_learned_topic(self, topic_id: str, body: str, ticket_id: int | None = None,
                                questions: list[LearnedItem] | None = None) -> None:
        """Create or replace a learned topic (its fields as JSON), with example questions stored apart from it."""
        async with self._tx() as db:
            await db.execute("DELETE FROM learned_items WHERE kind = ? AND topic_id = ?", (TOPIC, topic_id))
            topic = LearnedItem(TOPIC, topic_id, body, ticket_id)
            await self._insert(db, [topic, *await self._new_questions(db, questions or [])])
            await self._bump(db)

    async def asked_texts(self, question_ids: list[int]) -> dict[int, str]:
        """The words of citizens' questions by id (erased ones are gone), to link what is learned from them."""
        ids = [i for i in dict.fromkeys(question_ids) if 0 < i < 2**63][:30]
        marks = ", ".join("?" for _ in ids) or "NULL"
        rows = await self._all(f"SELECT id, text FROM questions WHERE id IN ({marks}) AND text != '' ORDER BY id DESC",
                               tuple(ids))
        return {int(r[0]): str(r[1]) for r in rows}

    async def learned_origin(self, topic_id: str, question: str) -> tuple[int | None, int | None] | None:
        """The ticket and the citizen's question a learned example came from (None when there is no such example)."""
        row = await self._one("SELECT ticket_id, question_id FROM learned_items WHERE kind = ? AND topic_id = ?"
                              " AND body = ?", (QUESTION, topic_id, question))
        return (row[0], row[1]) if row else None

    async def remove_learned(self, topic_id: str, question: str | None = None) -> bool:
        """Remove one example question, or (no question) a learned topic with the examples added to it."""
        async with self._tx() as db:
            if question is None:
                gone = await db.execute("DELETE FROM learned_items WHERE kind = ? AND topic_id = ?", (TOPIC, topic_id))
                if gone.rowcount:  # examples added to a removed topic would dangle
                    await db.execute("DELETE FROM learned_items WHERE topic_id = ?", (topic_id,))
            else:
                gone = await db.execute("DELETE FROM learned_items WHERE kind = ? AND topic_id = ? AND body = ?",
                                        (QUESTION, topic_id, question))
            if gone.rowcount:
                await self._bump(db)
        return bool(gone.rowcount)

    async def _forget_learned(self, db: Conn, tickets: set[int], who: tuple[str, str]) -> int:
        """Inside an erasure, before the person's questions are emptied: remove what was learned from their
        tickets and from their questions, and every example identical to something they asked, bumping the
        version if anything went."""
        marks = ", ".join("?" for _ in tickets) or "NULL"
        gone = await db.execute(
            f"DELETE FROM learned_items WHERE ticket_id IN ({marks})"
            " OR question_id IN (SELECT id FROM questions WHERE channel = ? AND user_id = ?)"
            " OR (kind = ? AND body IN (SELECT trim(text) FROM questions WHERE channel = ? AND user_id = ?"
            " AND text != ''))", (*tickets, *who, QUESTION, *who))
        if gone.rowcount:
            await self._bump(db)
        return int(gone.rowcount or 0)

    async def replace_learned(self, items: list[LearnedItem], first: bool = False) -> bool:
        """Put these items in place of every learned one; with `first`, only if the store was never filled."""
        async with self._tx() as db:
            async with db.execute("SELECT initialised FROM knowledge_state WHERE id = 1") as cur:
                row = await cur.fetchone()
            if first and row is not None and row[0]:
                return False  # another process imported first, or officers have used the store since
            await db.execute("DELETE FROM learned_items")
            await self._insert(db, items)
            await self._bump(db)
            await db.execute("UPDATE knowledge_state SET initialised = 1 WHERE id = 1")
        return True

    async def bump_knowledge_version(self) -> int:
        """An officer reloaded the knowledge files: every process reloads; returns the new version."""
        async with self._tx() as db:
            await self._bump(db)
            async with db.execute("SELECT version FROM knowledge_state WHERE id = 1") as cur:
                row = await cur.fetchone()
        return int(row[0]) if row else 0
