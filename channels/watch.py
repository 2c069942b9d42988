"""Watching from outside the database: its file deleted or replaced while running, and alerts that must reach
the officers when the database itself cannot carry them (they go straight out, not through the outbox)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from bot.kernel.models import Reply
from bot.store.files import file_identity
from channels.base import Channel

log = logging.getLogger(__name__)
WATCH_INTERVAL = 2.0  # seconds between looks at the database file


async def alert_officers(channels: Sequence[Channel], destinations: Sequence[str], text: str) -> None:
    """Send `text` to every officers' destination directly through its channel; best effort, never raises."""
    senders = {channel.name: channel.sender for channel in channels}
    for destination in destinations:
        name, _, chat = destination.partition(":")
        if name in senders:
            with contextlib.suppress(Exception):
                await senders[name].send(chat, Reply(text))


async def watch_database(path: Path, stop: asyncio.Event, on_lost: Callable[[], Awaitable[None]],
                         interval: float = WATCH_INTERVAL) -> None:
    """Until stopped: when the file disappears or is replaced, call `on_lost` once and return."""
    if str(path) == ":memory:":
        return
    known = file_identity(path)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
        if stop.is_set():
            return
        if file_identity(path) != known:
            log.error("the database file %s was deleted or replaced while papibot was running; papibot stops "
                      "rather than write into a file nobody will find again", path)
            await on_lost()
            return
