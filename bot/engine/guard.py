"""Protection at the edge: a per-user flood limit, and log masking of personal data and secrets."""

from __future__ import annotations

import logging
from collections import deque
from typing import Protocol

from bot.kernel.clock import SYSTEM, Clock
from bot.store.sqlite import StorageUnavailable
from bot.understanding import privacy

OK, WARN, DROP = "ok", "warn", "drop"


class Flood(Protocol):
    """What the router asks of a flood limit."""

    async def verdict(self, channel: str, user_id: str) -> str:
        """OK, WARN or DROP for one more message from this user."""

    async def tidy(self) -> None:
        """Forget what no longer counts (housekeeping)."""


class FloodCounts(Protocol):
    """The storage's shared flood counters."""

    shared: bool

    async def flood_hit(self, channel: str, user_id: str, window: float) -> int:
        """Count one message; how many this user sent in the current window."""

    async def flood_forget(self, before: float) -> int:
        """Remove windows started before `before`."""


class FloodGuard:
    """Sliding one-minute window per user, in memory: past the limit the user is told once, then ignored."""

    def __init__(self, per_minute: int, window: float = 60.0, clock: Clock = SYSTEM) -> None:
        self.per_minute = per_minute
        self.window = window
        self.clock = clock
        self._seen: dict[tuple[str, str], deque[float]] = {}
        self._warned: set[tuple[str, str]] = set()

    def check(self, channel: str, user_id: str) -> str:
        """OK to serve, WARN (tell the user once), or DROP (ignore silently)."""
        if self.per_minute <= 0:
            return OK
        now = self.clock.monotonic()
        key = (channel, user_id)
        times = self._seen.setdefault(key, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) < self.per_minute:
            times.append(now)
            self._warned.discard(key)
            return OK
        if key in self._warned:
            return DROP
        self._warned.add(key)
        return WARN

    def forget_idle(self) -> None:
        """Drop users with no message in the window, so memory follows active users only."""
        now = self.clock.monotonic()
        for key in [k for k, t in self._seen.items() if not t or now - t[-1] >= self.window]:
            del self._seen[key]
            self._warned.discard(key)

    async def verdict(self, channel: str, user_id: str) -> str:
        """`check` now."""
        return self.check(channel, user_id)

    async def tidy(self) -> None:
        """`forget_idle` now."""
        self.forget_idle()


class SharedFloodGuard:
    """The same limit counted in the database, so it holds across every process sharing it.

    A window opens at a user's first message and lasts `window` seconds (a fixed window: one atomic upsert
    per message, no list of times). The message after the limit gets WARN, later ones DROP, until the
    window has passed. While the database cannot count, the process falls back to its own in-memory guard.
    """

    def __init__(self, storage: FloodCounts, per_minute: int, window: float = 60.0, clock: Clock = SYSTEM) -> None:
        self.storage = storage
        self.per_minute = per_minute
        self.window = window
        self.clock = clock
        self.local = FloodGuard(per_minute, window, clock)

    async def verdict(self, channel: str, user_id: str) -> str:
        """OK to serve, WARN (tell the user once), or DROP (ignore silently)."""
        if self.per_minute <= 0:
            return OK
        try:
            hits = await self.storage.flood_hit(channel, user_id, self.window)
        except StorageUnavailable:
            return self.local.check(channel, user_id)
        return OK if hits <= self.per_minute else WARN if hits == self.per_minute + 1 else DROP

    async def tidy(self) -> None:
        """Delete the windows that have passed."""
        self.local.forget_idle()
        await self.storage.flood_forget(self.clock.now() - self.window)


def flood_guard(storage: FloodCounts, per_minute: int, clock: Clock = SYSTEM) -> Flood:
    """Counted in the database when processes share it (PostgreSQL), else in memory (faster)."""
    if storage.shared:
        return SharedFloodGuard(storage, per_minute, clock=clock)
    return FloodGuard(per_minute, clock=clock)


def mask(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Hide any secret, then phone and identity numbers in any written form and e-mail addresses."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return privacy.mask(text)


class MaskingFilter(logging.Filter):
    """Applied to every log record: the rendered message (with arguments and traceback) is masked."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drop it."""
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = mask(message, self.secrets), None
        if record.exc_text:
            record.exc_text = mask(record.exc_text, self.secrets)
        return True


def install_log_masking(secrets: tuple[str, ...]) -> None:
    """Mask personal data and secrets in everything the process logs."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(MaskingFilter(secrets))
