"""The web console's accounts, sessions, failed logins and canned replies."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.store.sqlite import Database


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


class WebStore(Database):
    """SQL for the officers' web console."""

    # Accounts

    async def add_web_user(self, login: str, name: str, role: str, password_hash: str, link: str | None) -> bool:
        """Create an account; False when the login is taken."""
        count = await self._write(
            "INSERT INTO web_users (login, name, role, password_hash, link, created_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (login) DO NOTHING", (login, name, role, password_hash, link, time.time()))
        return count == 1

    async def web_user(self, login: str) -> WebUser | None:
        """One account by login."""
        row = await self._one(f"SELECT {USER_COLS} FROM web_users WHERE login = ?", (login,))
        return WebUser(**dict(row)) if row else None

    async def web_users(self) -> list[WebUser]:
        """Every account, by login."""
        rows = await self._all(f"SELECT {USER_COLS} FROM web_users ORDER BY login")
        return [WebUser(**dict(r)) for r in rows]

    async def set_web_password(self, login: str, password_hash: str) -> bool:
        """Replace an account's password hash and sign its sessions out; False when there is no such account."""
        changed = await self._write("UPDATE web_users SET password_hash = ? WHERE login = ?", (password_hash, login))
        await self._write("DELETE FROM web_sessions WHERE login = ?", (login,))
        return changed == 1

    async def disable_web_user(self, login: str) -> bool:
        """Disable an account and end its sessions; False when there is no such account."""
        changed = await self._write("UPDATE web_users SET disabled = 1 WHERE login = ?", (login,))
        await self._write("DELETE FROM web_sessions WHERE login = ?", (login,))
        return changed == 1

    # Sessions

    async def add_web_session(self, token_hash: str, login: str, csrf: str) -> None:
        """Remember a new signed-in browser."""
        now = time.time()
        await self._write("INSERT INTO web_sessions (token_hash, login, csrf, created_at, last_seen)"
                          " VALUES (?, ?, ?, ?, ?)", (token_hash, login, csrf, now, now))

    async def web_session(self, token_hash: str, idle: float) -> WebSession | None:
        """The session behind a cookie if it was used within `idle` seconds (reading only)."""
        row = await self._one("SELECT login, csrf, last_seen FROM web_sessions WHERE token_hash = ? AND last_seen >= ?",
                              (token_hash, time.time() - idle))
        return WebSession(**dict(row)) if row else None

    async def touch_web_session(self, token_hash: str, idle: float) -> None:
        """Keep a session alive, and forget those unused for `idle` seconds."""
        now = time.time()
        async with self._tx() as db:
            await db.execute("DELETE FROM web_sessions WHERE last_seen < ?", (now - idle,))
            await db.execute("UPDATE web_sessions SET last_seen = ? WHERE token_hash = ?", (now, token_hash))

    async def end_web_session(self, token_hash: str) -> None:
        """Sign a browser out."""
        await self._write("DELETE FROM web_sessions WHERE token_hash = ?", (token_hash,))

    # Failed logins, counted per (login, client address) so nobody can lock an officer out from elsewhere

    async def login_failures(self, login: str, client: str, since: float) -> list[float]:
        """When this login failed from this address since `since`, oldest first."""
        rows = await self._all("SELECT at FROM web_login_failures WHERE login = ? AND client = ? AND at >= ?"
                               " ORDER BY at", (login, client, since))
        return [float(r[0]) for r in rows]

    async def add_login_failure(self, login: str, client: str) -> None:
        """Record a failed login (and forget failures older than a day)."""
        now = time.time()
        await self._write("DELETE FROM web_login_failures WHERE at < ?", (now - 86400,))
        await self._write("INSERT INTO web_login_failures (login, client, at) VALUES (?, ?, ?)", (login, client, now))

    async def clear_login_failures(self, login: str, client: str) -> None:
        """A successful login wipes the slate for that pair."""
        await self._write("DELETE FROM web_login_failures WHERE login = ? AND client = ?", (login, client))

    # Canned replies

    async def canned_replies(self) -> list[CannedReply]:
        """Every canned reply, by title."""
        rows = await self._all("SELECT id, title, body, updated_by, updated_at FROM canned_replies ORDER BY title")
        return [CannedReply(**dict(r)) for r in rows]

    async def save_canned(self, reply_id: int | None, title: str, body: str, officer: str) -> None:
        """Create (no id) or edit a canned reply, with an audit row."""
        now = time.time()
        async with self._tx() as db:
            if reply_id is None:
                await db.execute("INSERT INTO canned_replies (title, body, updated_by, updated_at)"
                                 " VALUES (?, ?, ?, ?)", (title, body, officer, now))
            else:
                await db.execute("UPDATE canned_replies SET title = ?, body = ?, updated_by = ?, updated_at = ?"
                                 " WHERE id = ?", (title, body, officer, now, reply_id))
            await db.execute("INSERT INTO admin_actions (admin_id, action, ticket_id, detail, at)"
                             " VALUES (?, 'canned_save', NULL, ?, ?)", (officer, title[:200], now))

    async def delete_canned(self, reply_id: int, officer: str) -> None:
        """Remove a canned reply, with an audit row."""
        now = time.time()
        async with self._tx() as db:
            await db.execute("DELETE FROM canned_replies WHERE id = ?", (reply_id,))
            await db.execute("INSERT INTO admin_actions (admin_id, action, ticket_id, detail, at)"
                             " VALUES (?, 'canned_delete', NULL, ?, ?)", (officer, str(reply_id), now))
