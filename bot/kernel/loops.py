"""A thread running an event loop of its own, for work that must not wait for the main loop.

The main loop is busy with matching and rendering; what must answer at once (a webhook's acknowledgement)
runs on a `LoopThread` instead. Either side hands the other a coroutine and awaits its result (`run`); a
waiter that gives up cancels the coroutine on the loop running it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
STOP_WITHIN = 10.0  # seconds the thread may take to finish what runs on its loop at close


async def on_loop(loop: asyncio.AbstractEventLoop, call: Callable[[], Awaitable[T]]) -> T:
    """The result of `call()` run on `loop`, awaited from the running loop (directly when it is `loop`)."""
    if asyncio.get_running_loop() is loop:
        return await call()

    async def there() -> T:
        return await call()

    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(there(), loop))


class LoopThread:
    """An event loop running on a thread of its own, from `start` to `close`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The thread's loop (once started)."""
        if self._loop is None:
            raise RuntimeError(f"{self.name} is not running")
        return self._loop

    def start(self) -> None:
        """Start the thread; returns once its loop runs."""
        loop = asyncio.new_event_loop()
        running = threading.Event()
        # A daemon: an interpreter leaving without `close` (a crash) is not held up by it.
        self._thread = threading.Thread(target=self._main, args=(loop, running), name=self.name, daemon=True)
        self._thread.start()
        running.wait()
        self._loop = loop

    def _main(self, loop: asyncio.AbstractEventLoop, running: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(running.set)
        try:
            loop.run_forever()
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()

    async def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """The result of `coroutine` run on this thread's loop, awaited from any loop."""
        return await on_loop(self.loop, lambda: coroutine)

    def call_soon(self, callback: Callable[[], object]) -> None:
        """Call `callback` on this thread's loop, from any thread."""
        self.loop.call_soon_threadsafe(callback)

    async def close(self) -> None:
        """Stop the loop (what still runs on it is cancelled) and wait for the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self._loop = None
        with contextlib.suppress(RuntimeError):  # already closed
            loop.call_soon_threadsafe(loop.stop)
        await asyncio.to_thread(thread.join, STOP_WITHIN)
