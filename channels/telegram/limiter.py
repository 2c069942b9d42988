"""Telegram's rate limit is the bot's, not each process's: processes sharing a database share one schedule.

Every Bot API call that sends (everything but fetching updates and setting the bot up) first takes the next
slot of a schedule kept in the database (`send_slot`), waits for it, then goes through this process's own
limiter as before. With one process the schedule changes nothing; with three, they stay within Telegram's
30 messages per second together instead of 30 each (which Telegram would answer with 429s).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import AIORateLimiter, BaseRateLimiter

from bot.store.sqlite import StorageUnavailable
from channels.base import SendSlots

PER_SECOND = 30.0  # Telegram's limit for one bot's messages
BURST = 1.0  # seconds' worth of sends that may go at once after a quiet spell
SCHEDULE = "telegram"
NOT_SENDING = frozenset({"getUpdates", "getMe", "getWebhookInfo", "setWebhook", "deleteWebhook", "setMyCommands",
                         "deleteMyCommands", "getFile", "close", "logOut"})


class _OneLinePer429(logging.Filter):
    """Drops the library's ERROR and traceback for a 429 it was told not to retry: papibot logs one WARNING
    line for it (the chat and the wait), where it hands the message to the outbox."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Rate limit hit after maximum")


def quiet_library_429s() -> None:
    """Install the filter on the library's rate-limiter logger (once)."""
    logger = logging.getLogger("telegram.ext.AIORateLimiter")
    if not any(isinstance(f, _OneLinePer429) for f in logger.filters):
        logger.addFilter(_OneLinePer429())


class SharedRateLimiter(BaseRateLimiter[Any]):
    """A slot of the shared schedule, then the process's own limiter."""

    def __init__(self, slots: SendSlots, local: AIORateLimiter, per_second: float = PER_SECOND) -> None:
        self.slots, self.local, self.interval = slots, local, 1.0 / per_second

    async def initialize(self) -> None:
        """Start the local limiter."""
        await self.local.initialize()

    async def shutdown(self) -> None:
        """Stop the local limiter."""
        await self.local.shutdown()

    async def process_request(self, callback: Callable[..., Coroutine[Any, Any, Any]], args: Any,
                              kwargs: dict[str, Any], endpoint: str, data: dict[str, Any],
                              rate_limit_args: Any) -> Any:
        """Wait for this call's slot (when it sends), then let the local limiter run it."""
        if endpoint not in NOT_SENDING:
            try:
                wait = await self.slots.send_slot(SCHEDULE, self.interval, BURST)
            except StorageUnavailable:  # the database is down: the local limit still holds
                wait = 0.0
            if wait > 0:
                await asyncio.sleep(wait)
        return await self.local.process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
