"""Deliver the outbox: every owed message is sent, retried with back-off, or marked undeliverable."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.models import OutboxItem
from bot.storage import Storage

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 12


class Undeliverable(Exception):
    """The recipient cannot be reached at all (blocked the bot, chat deleted)."""


class RetryLater(Exception):
    """The channel asked us to wait (e.g. Telegram 429); not counted as the recipient's fault."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


# A sender delivers one item and returns the id of the (first) message it posted, if any.
Sender = Callable[[OutboxItem], Awaitable[int | None]]


def backoff(attempts: int) -> float:
    """Seconds before the next try: 5 s, 10 s, 20 s ... capped at one hour."""
    return float(min(5 * 2**attempts, 3600))


async def deliver_due(storage: Storage, channel: str, send: Sender, notify_admin: Callable[[int, str], Awaitable[None]]
                      | None = None, chat_id: int | None = None, limit: int = 20,
                      exclude_chat_id: int | None = None) -> int:
    """Send every due item of one channel once; returns how many went through."""
    sent = 0
    for item in await storage.due_outbox(channel, limit=limit, chat_id=chat_id, exclude_chat_id=exclude_chat_id):
        try:
            message_id = await send(item)
        except Undeliverable as exc:
            await storage.mark_undeliverable(item.id, str(exc))
            log.warning("outbox %s undeliverable: %s", item.id, exc)
            if notify_admin and item.ticket_id is not None:
                await notify_admin(item.ticket_id, str(exc))
            continue
        except RetryLater as exc:
            await storage.mark_retry(item.id, str(exc), exc.seconds)
            continue
        except Exception as exc:  # any channel fault: keep the item and try again later
            if item.attempts + 1 >= MAX_ATTEMPTS:
                await storage.mark_undeliverable(item.id, f"gave up after {MAX_ATTEMPTS} attempts: {exc}")
            else:
                await storage.mark_retry(item.id, f"{type(exc).__name__}: {exc}", backoff(item.attempts))
            log.warning("outbox %s failed (attempt %s): %s", item.id, item.attempts + 1, exc)
            continue
        await storage.mark_sent(item.id)
        if item.kind == "admin_post" and item.ticket_id is not None and message_id is not None:
            await storage.set_admin_message(item.ticket_id, message_id)
        sent += 1
    return sent
