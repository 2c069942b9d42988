"""Signing officers in to the web console: argon2id passwords, throttled logins, idle-expiring sign-ins, each
login and logout in the audit trail. The console keeps the cookies; this keeps everything behind them."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.kernel.clock import SYSTEM, Clock
from bot.kernel.models import ADMIN, User
from bot.store.accounts import WebUser
from bot.store.sqlite import StorageUnavailable
from bot.store.storage import Storage

IDLE = 8 * 3600  # seconds: a sign-in unused this long ends
MAX_FAILURES, WINDOW, LOCK = 5, 15 * 60, 15 * 60  # 5 failures within 15 min lock that (login, address) for 15 min
MAX_DELAY = 5.0  # seconds: the longest a failed login is slowed down
_HASHER = PasswordHasher()  # argon2id with the library's current recommended cost


@functools.cache
def _dummy() -> str:
    """A hash verified against for unknown logins (same timing), made at the first sign-in: argon2 takes 64 MB
    for a moment, which a process that never signs anybody in should not pay at start-up."""
    return _HASHER.hash("papibot-dummy-password")


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _HASHER.hash(password)


def check_password(stored: str, password: str) -> bool:
    """Whether the password matches the stored hash."""
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    """Sign-ins are stored by the hash of their cookie, so a copy of the database signs nobody in."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Officer:
    """A signed-in officer, with the CSRF token of their sign-in."""

    login: str
    name: str
    role: str
    csrf: str

    @property
    def user(self) -> User:
        """The officer as the services see them: identity `web:<login>`."""
        return User("web", self.login, self.login, self.name or self.login, self.role)

    @property
    def is_admin(self) -> bool:
        """May use the inbox and knowledge pages."""
        return self.role == ADMIN


@dataclass(frozen=True)
class SignedIn:
    """The password is right: `token` is the new sign-in's cookie value."""

    token: str


@dataclass(frozen=True)
class LockedOut:
    """Too many failures from this address for this login: no password is checked until `until`."""

    until: float


@dataclass(frozen=True)
class WrongPassword:
    """The login or the password is wrong, or the account is disabled (the caller is not told which)."""


@dataclass(frozen=True)
class SignedOut:
    """The sign-in is ended and the logout audited."""


class Accounts:
    """The officers' web accounts and sign-ins over the database, on the one clock."""

    def __init__(self, storage: Storage, clock: Clock = SYSTEM) -> None:
        self.storage = storage
        self.clock = clock

    async def locked_until(self, login: str, client: str) -> float | None:
        """When the lock on this (login, address) ends, or None when it may try."""
        failures = await self.storage.accounts.failures(login, client, self.clock.now() - WINDOW - LOCK)
        for i in range(len(failures) - MAX_FAILURES + 1):
            if failures[i + MAX_FAILURES - 1] - failures[i] <= WINDOW:
                until = failures[i + MAX_FAILURES - 1] + LOCK
                if until > self.clock.now():
                    return until
        return None

    async def sign_in(self, login: str, password: str, client: str,
                      failure_delay: float = 0.5) -> SignedIn | LockedOut | WrongPassword:
        """Check the throttle and the password of `login` from the address `client`; each failure waits
        `failure_delay` seconds per recent failure (at most MAX_DELAY) to slow guessing down."""
        until = await self.locked_until(login, client)
        if until:
            return LockedOut(until)
        account = await self.storage.accounts.get(login)
        ok = check_password(account.password_hash if account else _dummy(), password)
        if not ok or account is None or account.disabled:
            await self.storage.accounts.add_failure(login, client)
            recent = await self.storage.accounts.failures(login, client, self.clock.now() - WINDOW)
            await asyncio.sleep(min(failure_delay * len(recent), MAX_DELAY))
            return WrongPassword()
        await self.storage.accounts.clear_failures(login, client)
        token = secrets.token_urlsafe(32)
        await self.storage.sessions.add(token_hash(token), login, secrets.token_urlsafe(24), IDLE)
        await self.storage.audit.record(f"web:{login}", "login", None, client)
        return SignedIn(token)

    async def officer(self, token: str, touch: bool = True) -> Officer | None:
        """The officer signed in with this cookie value, if any; `touch=False` (a page polling by itself) does not
        keep the sign-in from ending after IDLE seconds without the officer."""
        found = await self.storage.sessions.get(token_hash(token), IDLE) if token else None
        account = await self.storage.accounts.get(found.login) if found else None
        if found is None or account is None or account.disabled:
            return None
        if touch:
            with contextlib.suppress(StorageUnavailable):  # a full disk: the page is still shown, the sign-in untouched
                await self.storage.sessions.touch(token_hash(token), found)
        return Officer(account.login, account.name, account.role, found.csrf)

    async def sign_out(self, token: str, officer: Officer) -> SignedOut:
        """End the sign-in behind this cookie value and audit the officer's logout."""
        if token:
            await self.storage.sessions.end(token_hash(token))
        await self.storage.audit.record(officer.user.key, "logout")
        return SignedOut()

    async def admins(self) -> list[WebUser]:
        """The accounts a ticket may be assigned to: administrators not disabled, by login."""
        return [u for u in await self.storage.accounts.every() if u.role == ADMIN and not u.disabled]
