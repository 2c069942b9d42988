"""Long polling that confirms an update to Telegram only after it was handled.

python-telegram-bot's own poller confirms a batch as soon as it is fetched, so a crash loses whatever
is still queued in memory. Here the next getUpdates (which is what confirms) is sent only when the
whole batch is handled; an update handled twice after a crash is caught by the stored update ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
from collections import defaultdict
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.ext import Application

log = logging.getLogger(__name__)
POLL_TIMEOUT = 25  # seconds Telegram holds a getUpdates open when there is nothing new
CONCURRENT_CHATS = 8  # chats handled at once; one chat's updates stay in order


async def _handle_batch(app: Application, updates: list[Update]) -> None:
    """Handle a batch: chats in parallel, each chat's updates in order."""
    by_chat: dict[int, list[Update]] = defaultdict(list)
    for update in updates:
        by_chat[update.effective_chat.id if update.effective_chat else 0].append(update)
    limit = asyncio.Semaphore(CONCURRENT_CHATS)

    async def one_chat(items: list[Update]) -> None:
        async with limit:
            for update in items:
                await app.process_update(update)

    await asyncio.gather(*(one_chat(items) for items in by_chat.values()))


async def _fetch(app: Application, offset: int | None, stop: asyncio.Event) -> list[Update] | None:
    """One long poll, abandoned as soon as a stop is requested (None then)."""
    poll = asyncio.ensure_future(app.bot.get_updates(offset=offset, timeout=POLL_TIMEOUT,
                                                     allowed_updates=Update.ALL_TYPES))
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({poll, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not poll.done():
        poll.cancel()
        with contextlib.suppress(asyncio.CancelledError, NetworkError):
            await poll
        return None
    return list(poll.result())


async def poll_until_stopped(app: Application, stop: asyncio.Event) -> None:
    """Fetch, handle, confirm, repeat; Bot API faults are waited out with back-off."""
    offset: int | None = None
    delay = 1.0
    while not stop.is_set():
        try:
            updates = await _fetch(app, offset, stop)
        except RetryAfter as exc:
            wait = exc.retry_after
            await asyncio.sleep(wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait))
            continue
        except (TimedOut, NetworkError) as exc:
            log.warning("getUpdates failed (%s); retrying in %.0f s", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
            continue
        delay = 1.0
        if updates:
            await _handle_batch(app, updates)  # in-flight updates finish even when a stop arrives
            offset = updates[-1].update_id + 1


async def run_app(app: Application, serve: Callable[[Application, asyncio.Event], Awaitable[None]]) -> None:
    """Initialise, serve until SIGINT or SIGTERM, then shut down cleanly (the database is closed)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        await app.start()
        await serve(app, stop)
    finally:
        if app.running:
            await app.stop()
        if app.post_stop:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)


async def run_polling(app: Application) -> None:
    """Long polling (the default mode) until stopped."""

    async def serve(app: Application, stop: asyncio.Event) -> None:
        await app.bot.delete_webhook(drop_pending_updates=False)
        await poll_until_stopped(app, stop)

    await run_app(app, serve)
