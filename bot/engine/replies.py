"""Direct replies: sent in the background once their event is handled, in order per chat, failures to the outbox.

An adapter waits for an event to be handled (its effects stored), never for the reply to reach the platform,
so a chat whose sends hang holds up neither the next poll nor any other chat. One chat's replies still
leave in the order its events were handled: each waits for the one before it. A reply the platform refuses
for now is handed to the outbox from its first part not accepted, so no part arrives twice.

A reply handled but not yet sent is lost if the process is killed (direct replies are sent at most once),
so their number is bounded: an event takes room for its reply before it is handled, and waits for it when
UNSENT_AT_MOST replies are on their way. Eight chats whose sends hang leave room for everybody else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.engine.delivery import UNCERTAIN_WAIT, RetryLater, Sender, Uncertain, Undeliverable, backoff, rate_limited
from bot.kernel.events import Event
from bot.kernel.models import Progress, Reply
from bot.store.storage import Storage

log = logging.getLogger(__name__)
# Replies handled but not yet sent, at most: what a kill can lose. With the delivery worker's two lanes of 8
# this also stays within the Telegram adapter's 32 pooled connections.
UNSENT_AT_MOST = 16


class Replies:
    """The direct replies in flight, chained per chat."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._last: dict[str, asyncio.Task[None]] = {}  # each chat's newest reply in flight
        self._flying: set[asyncio.Task[None]] = set()
        self._room = asyncio.Semaphore(UNSENT_AT_MOST)

    async def reserve(self) -> None:
        """Wait for room for one more reply (before handling the event that may produce it)."""
        await self._room.acquire()

    def release(self) -> None:
        """Give back the room reserved for an event that produced no reply."""
        self._room.release()

    def start(self, event: Event, reply: Reply, sender: Sender, fallback: bool = True) -> None:
        """Send `reply`, in the room reserved for it, after the chat's replies in flight (fallback: outbox)."""
        key = event.chat_key
        task = asyncio.create_task(self._after(self._last.get(key), event, reply, sender, fallback))
        self._last[key] = task
        self._flying.add(task)
        task.add_done_callback(lambda done: self._landed(key, done))

    def _landed(self, key: str, task: asyncio.Task[None]) -> None:
        self._room.release()
        self._flying.discard(task)
        if self._last.get(key) is task:
            del self._last[key]  # memory follows the chats with replies in flight only

    async def _after(self, before: asyncio.Task[None] | None, event: Event, reply: Reply, sender: Sender,
                     fallback: bool) -> None:
        progress: Progress | None = None
        try:
            if before is not None:
                await asyncio.wait({before})
            progress = Progress()
            await self._send(event, reply, sender, progress, fallback)
        except asyncio.CancelledError:  # shutting down: the outbox sends it at the next start
            if fallback:
                with contextlib.suppress(Exception):
                    started = progress is not None  # a part may be on its way: uncertain
                    await self._hand_over(event, reply, progress or Progress(), UNCERTAIN_WAIT if started else 0.0,
                                          started)
            raise
        except Exception:  # nobody awaits this task: say what was lost
            log.exception("reply to %s lost: neither sent nor handed to the outbox", event.chat_key)

    async def wait(self, chat_key: str) -> None:
        """Until the chat's replies in flight now have been sent or handed to the outbox."""
        task = self._last.get(chat_key)
        if task is not None:
            await asyncio.wait({task})

    async def drain(self, timeout: float | None = None) -> None:
        """Until every reply in flight is sent; after `timeout` seconds the rest go to the outbox."""
        if not self._flying:
            return
        _, late = await asyncio.wait(set(self._flying), timeout=timeout)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    async def _send(self, event: Event, reply: Reply, sender: Sender, progress: Progress, fallback: bool) -> None:
        """Send now; when the platform fails, the outbox takes the reply over from its first part not accepted."""
        quote = event.message_id if not event.private else None
        try:
            await sender.send(event.chat_id, reply, quote, progress)
            return
        except Undeliverable as exc:
            log.warning("reply to %s undeliverable: %s", event.chat_key, exc)
            return
        except Uncertain as exc:
            log.warning("reply to %s timed out (%s); retried once later", event.chat_key, exc)
            delay, uncertain = UNCERTAIN_WAIT, True
        except RetryLater as exc:
            rate_limited(f"reply to {event.chat_key}", exc)
            delay, uncertain = exc.seconds, False
        except Exception as exc:
            log.warning("reply to %s failed (%s); handed to the outbox", event.chat_key, exc)
            delay, uncertain = backoff(0) / 5, False
        if fallback:
            await self._hand_over(event, reply, progress, delay, uncertain)

    async def _hand_over(self, event: Event, reply: Reply, progress: Progress, delay: float,
                         uncertain: bool) -> None:
        await self.storage.outbox.enqueue(event.channel, event.chat_id, "reply", reply.text, buttons=reply.buttons,
                                          delay=delay, status="uncertain" if uncertain else "pending",
                                          progress=progress)
