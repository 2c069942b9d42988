"""Where each chat's conversation stands, who wrote for the first time, and the numbered menus of channels
without buttons."""

from __future__ import annotations

import json
from typing import Any

from bot.kernel.models import User
from bot.store.database import Database, Turn
from bot.store.dbapi import Conn
from bot.understanding.turns import Context

MENU_TTL = 30 * 60  # seconds a numbered menu stays valid


def conversation_upsert(user: User, talk: Context) -> tuple[str, tuple[Any, ...]]:
    """The statement remembering where this chat's conversation stands, with its parameters."""
    return ("INSERT INTO conversations (channel, chat_id, user_id, topic, facet, turns, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel, chat_id, user_id) DO UPDATE SET"
            " topic = excluded.topic, facet = excluded.facet, turns = excluded.turns, updated_at = excluded.updated_at",
            (user.channel, user.chat_id, user.user_id, talk.topic, talk.facet,
             json.dumps(talk.turns, ensure_ascii=False), talk.at))


async def save_conversation(db: Conn, user: User, talk: Context) -> None:
    """Remember where this chat's conversation stands, inside the transaction storing its turn."""
    await db.execute(*conversation_upsert(user, talk))


class Conversations:
    """The `conversations` and `contacts` tables."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def save(self, user: User, talk: Context, turn: Turn | None = None) -> None:
        """Remember where this chat's conversation stands (topic, facet, last turns)."""
        async def save(db: Conn) -> None:
            await save_conversation(db, user, talk)
        await self.database.write(save, turn)

    async def of(self, user: User) -> Context | None:
        """Where this chat's conversation stood after its last turn, or None."""
        row = await self.database.peek("SELECT topic, facet, turns, updated_at FROM conversations"
                                       " WHERE channel = ? AND chat_id = ? AND user_id = ?",
                                       (user.channel, user.chat_id, user.user_id))
        if row is None:
            return None
        turns = tuple((str(t[0]), t[1]) for t in json.loads(row["turns"]))
        return Context(row["topic"], row["facet"], turns, float(row["updated_at"]))

    async def first_contact(self, channel: str, user_id: str, turn: Turn | None = None) -> bool:
        """True (once) the first time this person writes: they are owed the privacy notice."""
        if await self.database.one("SELECT 1 FROM contacts WHERE channel = ? AND user_id = ?", (channel, user_id)):
            return False
        return bool(await self.database.execute("INSERT INTO contacts (channel, user_id, first_at) VALUES (?, ?, ?)"
                                                " ON CONFLICT DO NOTHING",
                                                (channel, user_id, self.database.clock.now()), turn))


class Menus:
    """The options each chat was last offered, for channels where people answer with a number."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def save(self, channel: str, chat_id: str, user_id: str, payloads: list[str],
                   rest: list[tuple[str, str]] | None = None, turn: Turn | None = None) -> None:
        """Remember the options this chat was just shown, and those «Xem thêm» shows (replacing the previous)."""
        menu = {"shown": payloads, "rest": rest or []}
        await self.database.execute(
            "INSERT INTO menus (channel, chat_id, user_id, payloads, expires_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (channel, chat_id, user_id) DO UPDATE SET payloads = excluded.payloads,"
            " expires_at = excluded.expires_at",
            (channel, chat_id, user_id, json.dumps(menu, ensure_ascii=False), self.database.clock.now() + MENU_TTL),
            turn)

    async def _menu(self, channel: str, chat_id: str, user_id: str) -> dict[str, Any]:
        row = await self.database.one("SELECT payloads FROM menus WHERE channel = ? AND chat_id = ? AND user_id = ?"
                                      " AND expires_at > ?", (channel, chat_id, user_id, self.database.clock.now()))
        menu = json.loads(row[0]) if row is not None else {}
        return {"shown": menu, "rest": []} if isinstance(menu, list) else menu  # a list: saved before «Xem thêm»

    async def choice(self, channel: str, chat_id: str, user_id: str, number: int) -> str | None:
        """The payload behind option `number` of the live menu of this chat, or None."""
        payloads = (await self._menu(channel, chat_id, user_id)).get("shown", [])
        return str(payloads[number - 1]) if 0 < number <= len(payloads) else None

    async def rest(self, channel: str, chat_id: str, user_id: str) -> list[tuple[str, str]]:
        """The options «Xem thêm» of the live menu of this chat shows (none once it expired)."""
        return [(str(label), str(payload)) for label, payload in (await self._menu(channel, chat_id, user_id))
                .get("rest", [])]
