"""The inbound worker: stored events handled in order per user, users in parallel, each marked done after.

An event stored but not marked done when the process stopped is handled at the next start; the router's
record of processed updates (update_id = msg_id) keeps one handled just before a crash from being
answered twice. Processes sharing a database take turns per user (`ChannelStore.handling`): a user held
by another process is left to it and looked at again at the next poll, so events a webhook stored in one
process are handled by another within IDLE seconds when the first is busy with that user or dead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.store.channel_store import ChannelStore, Inbound

log = logging.getLogger(__name__)
IDLE = 1.0  # seconds between looks at the table when nobody wakes the worker
RETRY = 2.0  # seconds before a user whose event failed to be handled is tried again


class InboundWorker:
    """Empties one channel's inbound_events through `handle`."""

    def __init__(self, store: ChannelStore, channel: str, handle: Callable[[Inbound], Awaitable[None]]) -> None:
        self.store, self.channel, self.handle = store, channel, handle
        self._wake = asyncio.Event()
        self._busy: dict[str, asyncio.Task[None]] = {}
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        """Look for new events now (from any thread: the webhook is answered on a loop of its own)."""
        loop = self._loop
        if loop is None:  # not running yet: it looks at the table first when it starts
            return
        with contextlib.suppress(RuntimeError):  # stopped meanwhile: the next start looks at the table
            loop.call_soon_threadsafe(self._wake.set)

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set; users in flight finish their current event."""
        self._loop = asyncio.get_running_loop()
        try:
            while not stop.is_set():
                self._wake.clear()
                try:
                    for user in await self.store.inbound.pending_users(self.channel):
                        if user not in self._busy:
                            self._busy[user] = asyncio.create_task(self._user(user))
                except Exception:
                    log.exception("could not read the stored %s events", self.channel)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE)
        finally:
            self._stopping = True  # users in flight stop after their current event
            await self.drain()

    async def drain(self) -> None:
        """Wait for the users in flight."""
        tasks = list(self._busy.values())
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _user(self, user: str) -> None:
        handled = True
        try:
            async with self.store.coordination.handling(self.channel, user) as mine:
                if mine is None:
                    handled = False  # another process has this user: not woken again before the next poll
                    return
                await self._events(user, mine)
        except Exception:
            log.exception("%s event of one user not handled; retried shortly", self.channel)
            await asyncio.sleep(RETRY)
        finally:
            self._busy.pop(user, None)
            if handled:
                self._wake.set()

    async def _events(self, user: str, mine: Callable[[], bool]) -> None:
        """The user's pending events in order, while this process holds the user."""
        while events := await self.store.inbound.pending_events(self.channel, user):
            for event in events:
                if self._stopping or not mine():
                    return
                await self.handle(event)
                await self.store.inbound.mark_done(event.id)
