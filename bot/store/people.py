"""Officers' audit trail, staff task edits and the numbered menus of channels without buttons."""

from __future__ import annotations

import json
import time
from typing import Any

from bot.kernel.models import TaskOverride, User
from bot.store.dbapi import Conn
from bot.store.sqlite import Database, Turn
from bot.understanding.turns import Context

MENU_TTL = 30 * 60  # seconds a numbered menu stays valid


class PeopleStore(Database):
    """What officers did, and what each chat was last offered."""

    async def _audit(self, db: Conn, officer: str, action: str, ticket_id: int | None, detail: str,
                     now: float) -> None:
        await db.execute(
            "INSERT INTO admin_actions (admin_id, action, ticket_id, detail, at) VALUES (?, ?, ?, ?, ?)",
            (officer, action, ticket_id, detail, now),
        )

    async def audit(self, officer: str, action: str, ticket_id: int | None = None, detail: str = "",
                    turn: Turn | None = None) -> None:
        """Record an officer's action (who as `channel:id`, what, when)."""
        async with self._tx(turn) as db:
            await self._audit(db, officer, action, ticket_id, detail, time.time())

    async def notice_once(self, marker: str, sender: str, places: list[tuple[str, str]], text: str,
                          lane: str) -> bool:
        """Queue a notice to each (channel, chat) unless `marker` is in the audit trail, and record it there, in one
        transaction; False when it was queued before (by this process or another, before a restart or not)."""
        now = time.time()
        async with self._tx() as db:
            cur = await db.execute(
                "INSERT INTO admin_actions (admin_id, action, ticket_id, detail, at)"
                " SELECT ?, ?, NULL, ?, CAST(? AS DOUBLE PRECISION)"
                " WHERE NOT EXISTS (SELECT 1 FROM admin_actions WHERE action = ?)",
                (sender, marker, ", ".join(f"{c}:{chat}" for c, chat in places), now, marker))
            if not cur.rowcount:
                return False
            for channel, chat_id in places:
                await db.execute(
                    "INSERT INTO outbox (channel, chat_id, kind, text, lane, next_attempt_at, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)", (channel, chat_id, marker[:60], text, lane, now, now))
        self.queued.ring()
        return True

    async def audit_log(self, limit: int = 50) -> list[dict[str, Any]]:
        """Most recent officer actions first."""
        rows = await self._all("SELECT * FROM admin_actions ORDER BY id DESC LIMIT ?", (limit,))
        return [dict(r) for r in rows]

    async def set_task_status(self, task_id: str, status: str, note: str, changed_by: str,
                              turn: Turn | None = None) -> None:
        """Record a status in the table used before plans were kept by period (migration 16): read once, when a
        database without any period gets its first plan (usecases.plan_import.seed_plan); no longer written."""
        await self._write(
            "INSERT INTO task_status (task_id, status, note, changed_by, at) VALUES (?, ?, ?, ?, ?)",
            (task_id, status, note, changed_by, time.time()), turn,
        )

    async def task_overrides(self) -> dict[str, TaskOverride]:
        """The latest status officers recorded in that older table, by task number ("5.6")."""
        rows = await self._all(
            "SELECT task_id, status, note, changed_by, at FROM task_status"
            " WHERE id IN (SELECT max(id) FROM task_status GROUP BY task_id)"
        )
        return {r["task_id"]: TaskOverride(**dict(r)) for r in rows}

    async def _save_conversation(self, db: Conn, user: User, talk: Context) -> None:
        await db.execute(
            "INSERT INTO conversations (channel, chat_id, user_id, topic, facet, turns, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel, chat_id, user_id) DO UPDATE SET"
            " topic = excluded.topic, facet = excluded.facet, turns = excluded.turns, updated_at = excluded.updated_at",
            (user.channel, user.chat_id, user.user_id, talk.topic, talk.facet,
             json.dumps(talk.turns, ensure_ascii=False), talk.at),
        )

    async def save_conversation(self, user: User, talk: Context, turn: Turn | None = None) -> None:
        """Remember where this chat's conversation stands (topic, facet, last turns)."""
        async with self._tx(turn) as db:
            await self._save_conversation(db, user, talk)

    async def conversation(self, user: User) -> Context | None:
        """Where this chat's conversation stood after its last turn, or None."""
        row = await self._one("SELECT topic, facet, turns, updated_at FROM conversations"
                              " WHERE channel = ? AND chat_id = ? AND user_id = ?",
                              (user.channel, user.chat_id, user.user_id))
        if row is None:
            return None
        turns = tuple((str(t[0]), t[1]) for t in json.loads(row["turns"]))
        return Context(row["topic"], row["facet"], turns, float(row["updated_at"]))

    async def first_contact(self, channel: str, user_id: str, turn: Turn | None = None) -> bool:
        """True (once) the first time this person writes: they are owed the privacy notice."""
        if await self._one("SELECT 1 FROM contacts WHERE channel = ? AND user_id = ?", (channel, user_id)):
            return False
        async with self._tx(turn) as db:
            cur = await db.execute("INSERT INTO contacts (channel, user_id, first_at) VALUES (?, ?, ?)"
                                   " ON CONFLICT DO NOTHING", (channel, user_id, time.time()))
        return bool(cur.rowcount)

    async def takeovers_now(self) -> int:
        """How many chats an officer is answering in the platform's own inbox (the bot stays silent there)."""
        return int(await self._value("SELECT count(*) FROM takeovers WHERE until > ?", (time.time(),)) or 0)

    async def save_menu(self, channel: str, chat_id: str, user_id: str, payloads: list[str],
                        rest: list[tuple[str, str]] | None = None, turn: Turn | None = None) -> None:
        """Remember the options this chat was just shown, and those «Xem thêm» shows (replacing the previous)."""
        menu = {"shown": payloads, "rest": rest or []}
        await self._write(
            "INSERT INTO menus (channel, chat_id, user_id, payloads, expires_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (channel, chat_id, user_id) DO UPDATE SET payloads = excluded.payloads,"
            " expires_at = excluded.expires_at",
            (channel, chat_id, user_id, json.dumps(menu, ensure_ascii=False), time.time() + MENU_TTL), turn,
        )

    async def flood_hit(self, channel: str, user_id: str, window: float) -> int:
        """Count one message of this user; how many it sent in its current window (opened `window` s ago at most).

        One upsert, atomic by itself: on PostgreSQL it does not wait for the writers' lock.
        """
        now = time.time()
        row = await self._returning(
            "INSERT INTO flood_windows (channel, user_id, started, hits) VALUES (?, ?, ?, 1)"
            " ON CONFLICT (channel, user_id) DO UPDATE SET"
            " hits = CASE WHEN flood_windows.started > ? THEN flood_windows.hits + 1 ELSE 1 END,"
            " started = CASE WHEN flood_windows.started > ? THEN flood_windows.started ELSE excluded.started END"
            " RETURNING hits", (channel, user_id, now, now - window, now - window))
        return int(row[0]) if row is not None else 1

    async def send_slot(self, name: str, interval: float, burst: float, now: float | None = None) -> float:
        """Reserve the next send of `name` in a schedule every process shares: seconds to wait before it.

        A generic cell-rate schedule in one row: each send moves `next_at` on by `interval`; after a quiet
        spell `burst` seconds' worth of sends go at once. One upsert, atomic by itself.
        """
        now = time.time() if now is None else now
        floor = now - burst + interval
        row = await self._returning(
            "INSERT INTO rate_slots (name, next_at) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET"
            " next_at = CASE WHEN rate_slots.next_at > ? THEN rate_slots.next_at ELSE ? END + ?"
            " RETURNING next_at", (name, floor + interval, floor, floor, interval))
        wait = float(row[0]) - interval - now if row is not None else 0.0
        return wait if wait > 1e-6 else 0.0  # not a rounding error's worth of sleep

    async def flood_forget(self, before: float) -> int:
        """Delete the flood windows opened before `before` (they no longer count)."""
        return await self._write("DELETE FROM flood_windows WHERE started < ?", (before,))

    async def _menu(self, channel: str, chat_id: str, user_id: str) -> dict[str, Any]:
        row = await self._one("SELECT payloads FROM menus WHERE channel = ? AND chat_id = ? AND user_id = ?"
                              " AND expires_at > ?", (channel, chat_id, user_id, time.time()))
        menu = json.loads(row[0]) if row is not None else {}
        return {"shown": menu, "rest": []} if isinstance(menu, list) else menu  # a list: saved before «Xem thêm»

    async def menu_choice(self, channel: str, chat_id: str, user_id: str, number: int) -> str | None:
        """The payload behind option `number` of the live menu of this chat, or None."""
        payloads = (await self._menu(channel, chat_id, user_id)).get("shown", [])
        return str(payloads[number - 1]) if 0 < number <= len(payloads) else None

    async def menu_rest(self, channel: str, chat_id: str, user_id: str) -> list[tuple[str, str]]:
        """The options «Xem thêm» of the live menu of this chat shows (none once it expired)."""
        return [(str(label), str(payload)) for label, payload in (await self._menu(channel, chat_id, user_id))
                .get("rest", [])]
