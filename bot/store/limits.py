"""Per-user flood limits and shared send schedules: in memory for one process, in the database for several.

The database's counters (`flood_windows`, `rate_slots`) are single upserts, atomic by themselves, so they
never wait for the writers' lock of a shared database.
"""

from __future__ import annotations

from collections import deque

from bot.kernel.clock import SYSTEM, Clock
from bot.store.database import Database
from bot.store.files import StorageUnavailable

OK, WARN, DROP = "ok", "warn", "drop"


class FloodGuard:
    """Sliding one-minute window per user, in memory: past the limit the user is told once, then ignored."""

    def __init__(self, per_minute: int, window: float = 60.0, clock: Clock = SYSTEM) -> None:
        self.per_minute = per_minute
        self.window = window
        self.clock = clock
        self._seen: dict[tuple[str, str], deque[float]] = {}
        self._warned: set[tuple[str, str]] = set()

    def check(self, channel: str, user_id: str, now: float | None = None) -> str:
        """OK to serve, WARN (tell the user once), or DROP (ignore silently)."""
        if self.per_minute <= 0:
            return OK
        now = self.clock.monotonic() if now is None else now
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

    def forget_idle(self, now: float | None = None) -> None:
        """Drop users with no message in the window, so memory follows active users only."""
        now = self.clock.monotonic() if now is None else now
        for key in [k for k, t in self._seen.items() if not t or now - t[-1] >= self.window]:
            del self._seen[key]
            self._warned.discard(key)

    async def verdict(self, channel: str, user_id: str) -> str:
        """`check` now."""
        return self.check(channel, user_id)

    async def tidy(self) -> None:
        """`forget_idle` now."""
        self.forget_idle()


class Limits:
    """The shared counters: flood windows per user, send schedules per name."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def flood_hit(self, channel: str, user_id: str, window: float) -> int:
        """Count one message of this user; how many it sent in its current window (opened `window` s ago at most)."""
        now = self.database.clock.now()
        row = await self.database.returning(
            "INSERT INTO flood_windows (channel, user_id, started, hits) VALUES (?, ?, ?, 1)"
            " ON CONFLICT (channel, user_id) DO UPDATE SET"
            " hits = CASE WHEN flood_windows.started > ? THEN flood_windows.hits + 1 ELSE 1 END,"
            " started = CASE WHEN flood_windows.started > ? THEN flood_windows.started ELSE excluded.started END"
            " RETURNING hits", (channel, user_id, now, now - window, now - window))
        return int(row[0]) if row is not None else 1

    async def flood_forget(self, before: float) -> int:
        """Delete the flood windows opened before `before` (they no longer count)."""
        return await self.database.execute("DELETE FROM flood_windows WHERE started < ?", (before,))

    async def send_slot(self, name: str, interval: float, burst: float, now: float | None = None) -> float:
        """Reserve the next send of `name` in a schedule every process shares: seconds to wait before it.

        A generic cell-rate schedule in one row: each send moves `next_at` on by `interval`; after a quiet
        spell `burst` seconds' worth of sends go at once.
        """
        now = self.database.clock.now() if now is None else now
        floor = now - burst + interval
        row = await self.database.returning(
            "INSERT INTO rate_slots (name, next_at) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET"
            " next_at = CASE WHEN rate_slots.next_at > ? THEN rate_slots.next_at ELSE ? END + ?"
            " RETURNING next_at", (name, floor + interval, floor, floor, interval))
        wait = float(row[0]) - interval - now if row is not None else 0.0
        return wait if wait > 1e-6 else 0.0  # not a rounding error's worth of sleep


class SharedFloodGuard:
    """The flood limit counted in the database, so it holds across every process sharing it.

    A window opens at a user's first message and lasts `window` seconds (a fixed window: one atomic upsert
    per message, no list of times). The message after the limit gets WARN, later ones DROP, until the
    window has passed. While the database cannot count, the process falls back to its own in-memory guard.
    """

    def __init__(self, limits: Limits, per_minute: int, window: float = 60.0) -> None:
        self.limits = limits
        self.per_minute = per_minute
        self.window = window
        self.local = FloodGuard(per_minute, window, limits.database.clock)

    async def verdict(self, channel: str, user_id: str) -> str:
        """OK to serve, WARN (tell the user once), or DROP (ignore silently)."""
        if self.per_minute <= 0:
            return OK
        try:
            hits = await self.limits.flood_hit(channel, user_id, self.window)
        except StorageUnavailable:
            return self.local.check(channel, user_id)
        return OK if hits <= self.per_minute else WARN if hits == self.per_minute + 1 else DROP

    async def tidy(self) -> None:
        """Delete the windows that have passed."""
        self.local.forget_idle()
        await self.limits.flood_forget(self.limits.database.clock.now() - self.window)
