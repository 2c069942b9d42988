"""Whose turn it is at SQLite's one writer: writes in the order they asked, except those nothing else waits on
the order of (a webhook's events being acknowledged), which go before the writes still waiting.

The turns are shared by the writer connections of one process on one file, whatever loop each runs on (the
webhooks' loop has a connection of its own, `SqliteDatabase.companion`): SQLite lets one connection write at a
time and makes the others poll for the file lock with growing sleeps, so they take turns here instead and a
waiter is woken, on its own loop, the moment the writer is free.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import AsyncIterator


def _here(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


class WriterTurns:
    """A lock with two queues: a write that must not wait behind a queue of others (`urgent`) is let in first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the queues are shared by the loops of several threads
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
        with self._lock:
            if not self._busy:
                self._busy = True
                return
            granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            queue.append(granted)
        try:
            await granted
        except asyncio.CancelledError:
            with self._lock:
                queued = granted in queue
                if queued:
                    queue.remove(granted)
            if not queued and granted.done() and not granted.cancelled():
                self._release()  # the turn was handed over just as the waiter gave up: pass it on
            raise  # (handed over but cancelled: `_grant` passes it on)

    def _release(self) -> None:
        while True:
            with self._lock:
                granted = next((queue.popleft() for queue in (self._urgent, self._waiting) if queue), None)
                if granted is None:
                    self._busy = False
                    return
            # The writer stays busy: it is handed over, not freed.
            loop = granted.get_loop()
            if _here(loop):
                if not granted.done():
                    granted.set_result(None)
                    return
                continue  # its waiter gave up meanwhile: the next one
            try:
                loop.call_soon_threadsafe(self._grant, granted)
                return
            except RuntimeError:  # its loop is closed: the next one
                continue

    def _grant(self, granted: asyncio.Future[None]) -> None:
        """On the waiter's own loop: its turn, unless it gave up meanwhile (then the next one's)."""
        if granted.done():
            self._release()
        else:
            granted.set_result(None)
