"""The one HTTP server on a thread of its own, so a webhook's acknowledgement never waits for matching and rendering.

Zalo gives an event 2 seconds and retries it after; citizens feel every wait. On the main loop an
acknowledgement queues behind whatever matching, rendering or a knowledge reload does there. So the server
runs on a `LoopThread`: an `ApartRoute` (a webhook that only checks the signature and stores what came) is
answered on that loop and its event committed there (`InboundEvents.acknowledge_on`: SQLite's one writer then
runs every transaction on that loop, so none stays open while the main loop is busy; PostgreSQL gives it a
pool of its own); every other route (webhooks handled inline, /healthz, which must say so when the main loop
is stuck) runs on the main loop, its body and its answer passed between the two loops.

A thread, not a process: the routes share one port and one process's objects (the main loop's wake-up is a
call, not a message), SQLite keeps one writer with its turns in one place (a second process would poll the
file lock, and wait for the main process's transactions all the same), the thread stops with the service,
and no second interpreter is started and watched. Its cost is the GIL: while the main thread computes, a
thread waiting for the GIL gets it at the next switch interval (5 ms by default), and an acknowledgement waits
for it a few times (the socket, the database's thread, back). So while served apart the interval is
SWITCH_INTERVAL, and the acknowledgement does little work of its own: httptools parses the request in C, then
two SHA-256, one small JSON, and one insert for the whole batch of events arriving together. What the GIL
cannot hand over (a long C call of the main thread, a full garbage collection) still delays it.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.kernel.loops import LoopThread, on_loop
from channels.http import Health, build_app, serve_http

SWITCH_INTERVAL = 0.001  # seconds a thread computing keeps the GIL from one waiting for it (Python's default: 0.005)


class ApartRoute(Route):
    """A route answered on the HTTP server's own loop: its endpoint awaits nothing of the main loop's."""


def run_on(app: ASGIApp, loop: asyncio.AbstractEventLoop) -> ASGIApp:
    """`app` run on `loop` for requests served on another: it reads the body and answers through the serving loop
    (so a webhook still refuses a request on its headers before the body is read)."""
    async def bridged(scope: Scope, receive: Receive, send: Send) -> None:
        here = asyncio.get_running_loop()

        async def receive_here() -> Message:
            return await on_loop(here, receive)

        async def send_here(message: Message) -> None:
            await on_loop(here, lambda: send(message))

        await on_loop(loop, lambda: app(dict(scope), receive_here, send_here))

    return bridged


def split_app(routes: list[BaseRoute], health: Health, main: asyncio.AbstractEventLoop) -> ASGIApp:
    """The app served on the server's own loop: `ApartRoute`s there, everything else (and /healthz) on `main`."""
    apart = [r for r in routes if isinstance(r, ApartRoute)]
    paths = {r.path for r in apart}
    here = Starlette(routes=apart)
    inline = run_on(build_app([r for r in routes if not isinstance(r, ApartRoute)], health), main)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await (here if scope.get("path") in paths else inline)(scope, receive, send)

    return app


async def serve_apart(routes: list[BaseRoute], health: Health, host: str, port: int, stop: asyncio.Event,
                      thread: LoopThread, started: Callable[[], None] = lambda: None,
                      trusted: tuple[str, ...] = ()) -> None:
    """Serve the webhooks on `thread`'s loop until `stop` is set (see the module); `started` is called on this
    loop once the server listens. Start-up failures (port in use) are raised here."""
    main = asyncio.get_running_loop()
    halt = asyncio.Event()  # set and awaited on the thread's loop only

    def listening() -> None:
        main.call_soon_threadsafe(started)

    previous = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    serving = asyncio.ensure_future(thread.run(serve_http(split_app(routes, health, main), host, port, halt,
                                                          listening, trusted)))
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        thread.call_soon(halt.set)
        try:
            await serving
        finally:
            sys.setswitchinterval(previous)
