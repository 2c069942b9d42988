"""The core's entry point for every adapter: an event in, its reply out through the channel's sender.

Delivery of a direct reply is at most once: the update is recorded as processed (with its stored
effect) before the reply is sent, so a process killed in between loses that one reply (the question is
stored and `/cauhoi` shows it) and a redelivered update is never answered twice. Adapters wait for the
handling only; the reply is sent in the background (bot.engine.replies), and one that fails is handed to the
outbox, which retries it from its first part not accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from bot.engine.delivery import Sender
from bot.engine.replies import Replies
from bot.engine.router import Router
from bot.engine.services import Services
from bot.kernel.events import Event
from bot.kernel.models import Reply
from bot.store.sqlite import AlreadyProcessed, StorageUnavailable

log = logging.getLogger(__name__)
CONCURRENT_CHATS = 8  # chats handled at once; one chat's events stay in order


class Core:
    """Handles events from any channel: one chat at a time in order, many chats in parallel."""

    def __init__(self, services: Services, router: Router) -> None:
        self.services = services
        self.router = router
        # An outage of the database (disk full...): the chats told about it, and who tells the officers.
        self.outage: set[str] | None = None
        self.on_outage: Callable[[str], Awaitable[None]] | None = None
        self._chats: dict[str, tuple[asyncio.Lock, int]] = {}  # lock and how many events hold or await it
        self._limit = asyncio.Semaphore(CONCURRENT_CHATS)
        self.replies = Replies(services.storage)

    @contextlib.asynccontextmanager
    async def _chat(self, key: str) -> AsyncIterator[None]:
        lock, users = self._chats.get(key, (asyncio.Lock(), 0))
        self._chats[key] = (lock, users + 1)
        try:
            async with lock, self._limit:
                yield
        finally:
            lock, users = self._chats[key]
            if users <= 1:
                del self._chats[key]  # memory follows active chats only
            else:
                self._chats[key] = (lock, users - 1)

    async def handle(self, event: Event, sender: Sender) -> Reply | None:
        """Handle one event (its effects stored) and start sending its reply; never raises for a handler's fault.

        The reply goes out in the background after the chat's earlier replies: an adapter confirms the event
        to the platform as soon as this returns, whatever the platform's sends are doing.
        """
        await self.replies.reserve()
        sending = False
        try:
            async with self._chat(event.chat_key):
                try:
                    reply = await self.reply_to(event)
                except StorageUnavailable as exc:
                    sending = await self._unavailable(event, sender, exc)
                    raise
                if self.outage is not None:
                    log.warning("the database takes writes again; the outage is over")
                    self.outage = None
                if reply is not None:
                    self.replies.start(event, reply, sender)
                    sending = True
                return reply
        finally:
            if not sending:
                self.replies.release()

    async def process(self, event: Event, sender: Sender) -> Reply | None:
        """Handle one event and send its reply before returning (the console, tests)."""
        reply = await self.handle(event, sender)
        await self.replies.wait(event.chat_key)
        return reply

    async def drain(self, timeout: float | None = None) -> None:
        """Until the replies in flight are sent; after `timeout` seconds the rest are handed to the outbox."""
        await self.replies.drain(timeout)

    async def _unavailable(self, event: Event, sender: Sender, exc: StorageUnavailable) -> bool:
        """Per outage: each affected citizen is told once, the officers once; True when this citizen is told now."""
        first = self.outage is None
        self.outage = self.outage or set()
        if first:
            log.error("the database cannot take writes (%s): events are held and retried", exc)
            if self.on_outage is not None:
                with contextlib.suppress(Exception):
                    await self.on_outage(f"papibot không ghi được cơ sở dữ liệu ({exc}); tin nhắn của công dân "
                                         "đang được giữ lại và sẽ được xử lý khi khắc phục xong.")
        if not event.private or event.chat_key in self.outage:
            return False
        self.outage.add(event.chat_key)
        # In the background like every reply, but never through the outbox: it lives in the failing database.
        self.replies.start(event, Reply(self.services.renderer.message("outage")), sender, fallback=False)
        return True

    async def reply_to(self, event: Event) -> Reply | None:
        """The reply to one event (stored effects committed), or None; a handler's fault is reported."""
        try:
            return await self.router.handle(event)
        except StorageUnavailable:
            raise  # the adapter keeps the event for later (no offset advanced, HTTP 503)
        except AlreadyProcessed:
            log.info("update %s:%s stored before; not handled again", event.channel, event.update_id)
            return None
        except Exception as exc:
            log.exception("error while handling an event from %s", event.channel)
            await self._report(exc)
            return Reply(self.services.renderer.message("error_user"), alert=True) if event.private else None

    async def _report(self, exc: Exception) -> None:
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        module = tb.tb_frame.f_globals.get("__name__", "?") if tb is not None else "?"
        try:
            await self.services.officers.error(exc, str(module))
        except Exception:  # reporting must never turn one failure into two
            log.exception("could not queue the error notice")
