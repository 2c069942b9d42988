"""Waiting in tests for something to happen: a condition polled quickly until it holds, never a fixed sleep."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

POLL = 0.02  # seconds between looks: quick enough that a test waits no longer than the work takes


async def until(condition: Callable[[], bool | Awaitable[bool]], timeout: float = 5.0, what: str = "") -> None:
    """Return as soon as `condition()` (plain or awaitable) holds; AssertionError after `timeout` seconds."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                held = condition()
                if await held if inspect.isawaitable(held) else held:
                    return
                await asyncio.sleep(POLL)
    except TimeoutError:
        raise AssertionError(f"not met within {timeout}s: {what or 'condition'}") from None
