"""Delivery: what a channel's sender may raise, and the one worker that empties the outbox for every channel.

Semantics: an outbox message is sent at least once (a kill between the platform accepting it and the
record can repeat that one message); a long one goes in parts, each recorded once the platform accepts it,
so every retry starts at the first part not accepted; a send that timed out is "uncertain" and retried
once, no sooner than UNCERTAIN_WAIT later; each chat has its own back-off; officers' notices have their own
lane. With several processes on one PostgreSQL database, the messages a dead process had claimed are taken
over by another within seconds, as uncertain (bot.store.outbox): only those it was sending can arrive twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Protocol

from bot.kernel.models import OutboxItem, Progress, Reply
from bot.store.outbox import CITIZEN_LANE, OFFICER_LANE
from bot.store.storage import Storage

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 12
UNCERTAIN_WAIT = 60.0  # seconds before a send that timed out is tried again (once)
CONCURRENT_SENDS = 8  # chats served at once per lane
TICK = 1.0  # seconds between outbox runs when the outbox's bell does not ring


class Undeliverable(Exception):
    """The recipient cannot be reached at all (blocked the bot, chat deleted, reply window closed)."""


class RetryLater(Exception):
    """The platform asked us to wait (e.g. a 429); not the recipient's fault."""

    def __init__(self, seconds: float, reason: str = "rate limit", level: int = logging.WARNING) -> None:
        super().__init__(f"retry after {seconds:g}s ({reason})")
        self.seconds, self.reason, self.level = seconds, reason, level


class Uncertain(Exception):
    """The send timed out: the platform may or may not have delivered it."""


class Sender(Protocol):
    """One channel's way out: render a reply for the platform and send it to a chat."""

    channel: str

    async def send(self, chat_id: str, reply: Reply, reply_to: str | None = None,
                   progress: Progress | None = None) -> str | None:
        """Send the parts after `progress` (advancing it); return the platform id of the first part (or None)."""


async def send_parts(parts: Sequence[str], progress: Progress | None,
                     send_one: Callable[[int, str], Awaitable[str | None]]) -> str | None:
    """Send `parts` in order from the first one the platform has not accepted; the first part's platform id.

    `progress` is advanced as each part is accepted, so whoever catches a failure knows where to resume:
    a 429 on the second part of three sends the second and third again, never the first.
    """
    progress = progress if progress is not None else Progress()
    for index in range(progress.sent, len(parts)):
        message_id = await send_one(index, parts[index])
        progress.first = message_id if index == 0 else progress.first
        progress.sent = index + 1
        if progress.noted is not None and progress.sent < len(parts):
            await progress.noted(progress)
    return progress.first


def rate_limited(who: str, exc: RetryLater) -> None:
    """The one line a rate limit is worth: who waits, how long, and why."""
    log.log(exc.level, "%s: waiting %gs as asked (%s); sent again then", who, exc.seconds, exc.reason)


def backoff(attempts: int) -> float:
    """Seconds before the next try: 5 s, 10 s, 20 s ... capped at one hour."""
    return float(min(5 * 2**attempts, 3600))


Notify = Callable[[OutboxItem, str], Awaitable[None]]


class DeliveryWorker:
    """Runs two lanes (citizens' messages, officers' notices) over every channel that has a sender; each lane runs
    when the storage's outbox bell rings (a message was queued) or at the next tick."""

    def __init__(self, storage: Storage, senders: dict[str, Sender], on_undeliverable: Notify | None = None,
                 tick: float = TICK, on_notice_lost: Notify | None = None) -> None:
        self.storage = storage
        self.senders = senders
        self.on_undeliverable = on_undeliverable  # a message about a ticket did not reach the citizen
        self.on_notice_lost = on_notice_lost  # a notice did not reach one officers' destination
        self.tick = tick
        self._wake = {CITIZEN_LANE: storage.queued.listen(), OFFICER_LANE: storage.queued.listen()}

    def wake(self) -> None:
        """Run the outbox now rather than at the next tick."""
        for event in self._wake.values():
            event.set()

    async def run(self) -> None:
        """Both lanes until cancelled."""
        await asyncio.gather(self._lane(CITIZEN_LANE), self._lane(OFFICER_LANE))

    async def _lane(self, lane: str) -> None:
        while True:
            try:
                while await self.run_once(lane):
                    pass
            except Exception:  # the loop must survive anything; the next tick retries
                log.exception("outbox delivery failed (%s lane)", lane)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake[lane].wait(), self.tick)
            self._wake[lane].clear()

    async def run_once(self, lane: str) -> int:
        """Send the due head message of every chat in `lane` once, chats in parallel; returns how many went."""
        items = await self.storage.outbox.claim(lane, tuple(self.senders))
        limit = asyncio.Semaphore(CONCURRENT_SENDS)

        async def one(item: OutboxItem) -> bool:
            async with limit:
                if not self.storage.outbox.claim_stands(item):  # see OutboxStore.claim_stands: another process has it
                    log.warning("outbox %s left to another process: this one lost its claim", item.id)
                    return False
                return await self._deliver(item, lane)

        return sum(await asyncio.gather(*(one(i) for i in items)))

    async def _deliver(self, item: OutboxItem, lane: str) -> bool:
        sender = self.senders[item.channel]
        rows = json.loads(item.buttons or "[]")
        reply = Reply(item.text, [[(str(label), str(data)) for label, data in row] for row in rows])
        progress = Progress(item.parts_sent, item.message_id, noted=partial(self._noted, item.id))
        uncertain = item.status == "uncertain"
        try:
            message_id = await sender.send(item.chat_id, reply, item.reply_to, progress)
        except Undeliverable as exc:
            await self._give_up(item, lane, str(exc), progress)
            return False
        except RetryLater as exc:
            rate_limited(f"outbox {item.id} to {item.channel}:{item.chat_id}", exc)
            await self.storage.outbox.mark_retry(item.id, str(exc), exc.seconds, uncertain, progress)
            return False
        except Uncertain as exc:
            if uncertain:  # already retried once: a person should look at it
                await self._give_up(item, lane, f"no confirmation twice: {exc}", progress)
            else:
                await self.storage.outbox.mark_retry(item.id, f"uncertain: {exc}", UNCERTAIN_WAIT, True, progress)
            return False
        except Exception as exc:  # any channel fault: keep the item and try again later
            log.warning("outbox %s failed (attempt %s): %s", item.id, item.attempts + 1, exc)
            if item.attempts + 1 >= MAX_ATTEMPTS:
                await self._give_up(item, lane, f"gave up after {MAX_ATTEMPTS} attempts: {exc}", progress)
            else:
                await self.storage.outbox.mark_retry(item.id, f"{type(exc).__name__}: {exc}", backoff(item.attempts),
                                                     uncertain, progress)
            return False
        await self.storage.outbox.mark_sent(item.id, message_id)
        if item.kind == "admin_post" and item.ticket_id is not None and message_id is not None:
            await self.storage.tickets.set_admin_message(item.ticket_id, message_id)
        return True

    async def _noted(self, item_id: int, progress: Progress) -> None:
        """Record each accepted part at once: a process killed in the middle repeats none of them."""
        try:
            await self.storage.outbox.mark_parts(item_id, progress)
        except Exception as exc:  # the send goes on; only a crash before the settlement could repeat a part
            log.warning("outbox %s: could not record the parts sent (%s)", item_id, exc)

    async def _give_up(self, item: OutboxItem, lane: str, reason: str,
                       progress: Progress | None = None) -> None:
        await self.storage.outbox.mark_undeliverable(item.id, reason, progress)
        log.warning("outbox %s undeliverable: %s", item.id, reason)
        if lane == OFFICER_LANE:
            if self.on_notice_lost is not None:
                await self.on_notice_lost(item, reason)
        elif self.on_undeliverable is not None and item.ticket_id is not None:
            await self.on_undeliverable(item, reason)


async def wait_delivered(storage: Storage, timeout: float = 5.0) -> bool:
    """Test and CLI helper: True once nothing is pending in the outbox (or False after `timeout`)."""
    try:
        async with asyncio.timeout(timeout):  # a real wait, not a reading of papibot's clock
            while True:
                counts = await storage.outbox.counts()
                if not counts.get("pending") and not counts.get("uncertain"):
                    return True
                await asyncio.sleep(0.05)
    except TimeoutError:
        return False
