"""The coordination of a database one process uses alone (SQLite): every lock is its own, floods are counted in
memory, nothing marks an outbox claim and the platform's send limit is the process's own limiter's."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

from bot.kernel.clock import Clock
from bot.kernel.models import OutboxItem
from bot.store.database import Database
from bot.store.limits import FloodGuard
from bot.store.outbox import due_items


class LocalCoordination:
    """No other process shares the database: nothing to agree on with anybody."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def poll_lock(self, name: str) -> bool:
        """This process polls every platform it serves."""
        return True

    @contextlib.asynccontextmanager
    async def try_lock(self, key: int) -> AsyncIterator[bool]:
        """The lock `key` is this process's."""
        yield True

    @contextlib.asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[None]:
        """Nobody else could hold `name`: the block runs at once."""
        yield

    @contextlib.asynccontextmanager
    async def handling(self, channel: str, user_id: str) -> AsyncIterator[Callable[[], bool] | None]:
        """Every user's events are this process's, for good."""
        yield lambda: True

    async def claim_outbox(self, database: Database, lane: str, channels: tuple[str, ...],
                           limit: int) -> list[OutboxItem]:
        """The due head messages: this process's to send, with no mark (nobody else sends them)."""
        return await due_items(database, lane, channels, limit)

    def holds(self, key: int | None) -> bool:
        """A claim stays this process's."""
        return True

    def flood_limit(self, per_minute: int, window: float = 60.0) -> FloodGuard:
        """The flood limit counted in memory (faster than the database, and nobody else needs the counts)."""
        return FloodGuard(per_minute, window, self.clock)

    async def send_slot(self, name: str, interval: float, burst: float) -> float:
        """No other process sends for this bot: the process's own limiter is the whole schedule."""
        return 0.0

    async def close(self) -> None:
        """Nothing is held outside this process."""
