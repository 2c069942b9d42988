"""The web console's accounts, failed logins, sessions and canned replies."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.audit import record_action
from bot.store.database import Database
from bot.store.dbapi import Conn


@dataclass(frozen=True)
class WebUser:
    """An officer's account on the web console."""

    login: str
    name: str
    role: str
    password_hash: str
    link: str | None
    disabled: int
    created_at: float


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: whose, its CSRF token, when it was last used."""

    login: str
    csrf: str
    last_seen: float


@dataclass(frozen=True)
class CannedReply:
    """A reusable answer officers insert into their replies."""

    id: int
    title: str
    body: str
    updated_by: str
    updated_at: float


USER_COLS = "login, name, role, password_hash, link, disabled, created_at"
FAILURES_KEPT = 86400.0  # seconds a failed login is remembered
TOUCH_EVERY = 60.0  # seconds between two records of a session's use: a page view mostly writes nothing


class Accounts:
    """Officers' accounts (`web_users`) and failed logins, counted per (login, client address) so nobody can
    lock an officer out from elsewhere."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def add(self, login: str, name: str, role: str, password_hash: str, link: str | None) -> bool:
        """Create an account; False when the login is taken."""
        count = await self.database.execute(
            "INSERT INTO web_users (login, name, role, password_hash, link, created_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (login) DO NOTHING", (login, name, role, password_hash, link, self.database.clock.now()))
        return count == 1

    async def get(self, login: str) -> WebUser | None:
        """One account by login."""
        row = await self.database.one(f"SELECT {USER_COLS} FROM web_users WHERE login = ?", (login,))
        return WebUser(**dict(row)) if row else None

    async def every(self) -> list[WebUser]:
        """Every account, by login."""
        rows = await self.database.all(f"SELECT {USER_COLS} FROM web_users ORDER BY login")
        return [WebUser(**dict(r)) for r in rows]

    async def set_password(self, login: str, password_hash: str) -> bool:
        """Replace an account's password hash and sign its sessions out; False when there is no such account."""
        return await self._change(login, "UPDATE web_users SET password_hash = ? WHERE login = ?",
                                  (password_hash, login))

    async def disable(self, login: str) -> bool:
        """Disable an account and end its sessions; False when there is no such account."""
        return await self._change(login, "UPDATE web_users SET disabled = 1 WHERE login = ?", (login,))

    async def _change(self, login: str, sql: str, params: tuple[str, ...]) -> bool:
        async def change(db: Conn) -> bool:
            changed = await db.execute(sql, params)
            await db.execute("DELETE FROM web_sessions WHERE login = ?", (login,))
            return bool(changed.rowcount == 1)
        return await self.database.write(change)

    async def failures(self, login: str, client: str, since: float) -> list[float]:
        """When this login failed from this address since `since`, oldest first."""
        rows = await self.database.all("SELECT at FROM web_login_failures WHERE login = ? AND client = ? AND at >= ?"
                                       " ORDER BY at", (login, client, since))
        return [float(r[0]) for r in rows]

    async def add_failure(self, login: str, client: str) -> None:
        """Record a failed login (and forget failures older than a day)."""
        now = self.database.clock.now()

        async def add(db: Conn) -> None:
            await db.execute("DELETE FROM web_login_failures WHERE at < ?", (now - FAILURES_KEPT,))
            await db.execute("INSERT INTO web_login_failures (login, client, at) VALUES (?, ?, ?)",
                             (login, client, now))
        await self.database.write(add)

    async def clear_failures(self, login: str, client: str) -> None:
        """A successful login wipes the slate for that pair."""
        await self.database.execute("DELETE FROM web_login_failures WHERE login = ? AND client = ?", (login, client))


class Sessions:
    """Signed-in browsers (`web_sessions`), by the hash of their cookie."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def add(self, token_hash: str, login: str, csrf: str, idle: float) -> None:
        """Remember a new signed-in browser, and forget the sessions unused for `idle` seconds."""
        now = self.database.clock.now()

        async def add(db: Conn) -> None:
            await db.execute("DELETE FROM web_sessions WHERE last_seen < ?", (now - idle,))
            await db.execute("INSERT INTO web_sessions (token_hash, login, csrf, created_at, last_seen)"
                             " VALUES (?, ?, ?, ?, ?)", (token_hash, login, csrf, now, now))
        await self.database.write(add)

    async def get(self, token_hash: str, idle: float) -> WebSession | None:
        """The session behind a cookie if it was used within `idle` seconds (reading only)."""
        row = await self.database.one("SELECT login, csrf, last_seen FROM web_sessions WHERE token_hash = ?"
                                      " AND last_seen >= ?", (token_hash, self.database.clock.now() - idle))
        return WebSession(**dict(row)) if row else None

    async def touch(self, token_hash: str, session: WebSession) -> None:
        """Keep a session alive: its use is recorded at most once a minute (a page view mostly writes nothing)."""
        now = self.database.clock.now()
        if now - session.last_seen >= TOUCH_EVERY:
            await self.database.execute("UPDATE web_sessions SET last_seen = ? WHERE token_hash = ?", (now, token_hash))

    async def end(self, token_hash: str) -> None:
        """Sign a browser out."""
        await self.database.execute("DELETE FROM web_sessions WHERE token_hash = ?", (token_hash,))


class Canned:
    """Canned replies officers insert into their answers."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def every(self) -> list[CannedReply]:
        """Every canned reply, by title."""
        rows = await self.database.all("SELECT id, title, body, updated_by, updated_at FROM canned_replies"
                                       " ORDER BY title")
        return [CannedReply(**dict(r)) for r in rows]

    async def save(self, reply_id: int | None, title: str, body: str, officer: str) -> None:
        """Create (no id) or edit a canned reply, with an audit row."""
        now = self.database.clock.now()

        async def save(db: Conn) -> None:
            if reply_id is None:
                await db.execute("INSERT INTO canned_replies (title, body, updated_by, updated_at)"
                                 " VALUES (?, ?, ?, ?)", (title, body, officer, now))
            else:
                await db.execute("UPDATE canned_replies SET title = ?, body = ?, updated_by = ?, updated_at = ?"
                                 " WHERE id = ?", (title, body, officer, now, reply_id))
            await record_action(db, officer, "canned_save", None, title[:200], now)
        await self.database.write(save)

    async def delete(self, reply_id: int, officer: str) -> None:
        """Remove a canned reply, with an audit row."""
        now = self.database.clock.now()

        async def delete(db: Conn) -> None:
            await db.execute("DELETE FROM canned_replies WHERE id = ?", (reply_id,))
            await record_action(db, officer, "canned_delete", None, str(reply_id), now)
        await self.database.write(delete)
