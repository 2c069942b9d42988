"""The outbox's bell: rung by whatever queued a message, heard by the delivery worker, which then sends at once.

Every write that puts a message in the outbox (or puts one back) rings it once its transaction is committed, so
nobody has to remember to wake the worker; without a ring the worker still looks at its next tick. Each listener
(one per delivery lane) has its own event, cleared by that listener alone.
"""

from __future__ import annotations

import asyncio
import weakref


class Bell:
    """Wakes every listener at once; a listener that is gone is forgotten."""

    def __init__(self) -> None:
        self._listeners: weakref.WeakSet[asyncio.Event] = weakref.WeakSet()

    def listen(self) -> asyncio.Event:
        """A new event, set at every ring from now on (the listener clears it before waiting again)."""
        event = asyncio.Event()
        self._listeners.add(event)
        return event

    def ring(self) -> None:
        """Wake every listener."""
        for event in list(self._listeners):
            event.set()
