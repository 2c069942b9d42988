"""Whose turn it is at SQLite's one writer: writes in the order they asked, except those nothing else waits on
the order of (a webhook's events being acknowledged), which go before the writes still waiting."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator


class WriterTurns:
    """A lock with two queues: a write that must not wait behind a queue of others (`urgent`) is let in first."""

    def __init__(self) -> None:
        self._busy = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._waiting: deque[asyncio.Future[None]] = deque()

    @contextlib.asynccontextmanager
    async def turn(self, urgent: bool = False) -> AsyncIterator[None]:
        """Hold the writer for one transaction."""
        await self._acquire(self._urgent if urgent else self._waiting)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, queue: deque[asyncio.Future[None]]) -> None:
        if not self._busy:
            self._busy = True
            return
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue.append(granted)
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._release()  # the turn was handed over just as the waiter gave up: pass it on
            else:
                queue.remove(granted)
            raise

    def _release(self) -> None:
        for queue in (self._urgent, self._waiting):
            while queue:
                granted = queue.popleft()
                if not granted.done():
                    granted.set_result(None)  # the writer stays busy: it is handed over, not freed
                    return
        self._busy = False
