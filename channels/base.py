"""What every channel adapter is given and must offer, and the plumbing they share: long polling and webhooks.

An adapter is built by the composition root from its registry entry with one `ChannelContext`: the settings,
a way to hand events to the core, the command table for its menus, the polling lock and the stores it may
keep. It never sees the core, the router or the storage themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute

from bot.engine.delivery import Sender
from bot.engine.router import Command
from bot.kernel.clock import Clock
from bot.kernel.config import Config
from bot.kernel.events import Event
from bot.kernel.models import Reply
from bot.store.channel_store import ChannelStore
from bot.store.lease import STANDBY_WAIT
from bot.store.sqlite import StorageUnavailable
from channels.http import BodyTooLarge, Malformed, read_body

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_PAUSE = 30.0  # seconds: the longest pause between two polls after faults
STANDBY = "standby: another papibot process is polling"
DATABASE_DOWN = "database unavailable"
Submit = Callable[[Event, Sender], Awaitable[Reply | None]]
Endpoint = Callable[[Request], Awaitable[Response]]


class SendSlots(Protocol):
    """The send schedule processes on one database share (the database's coordination)."""

    async def send_slot(self, name: str, interval: float, burst: float) -> float:
        """Seconds to wait for the next slot."""


@dataclass(frozen=True)
class ChannelContext:
    """What an adapter may use of the running papibot (built by the composition root, app/run.py)."""

    settings: Config
    submit: Submit  # an event to the core: returns once its effects are stored; the reply goes out through `sender`
    commands: Callable[[str], Sequence[Command]]  # the commands a role may use, for the platform's menus
    poll_lock: Callable[[str], Awaitable[bool]]  # whether this process may poll `poll:<platform>` now
    store: ChannelStore  # what a webhook channel keeps (inbound events, tokens, takeovers), in the core's database
    clock: Clock  # the one clock every part of the process reads
    send_slots: SendSlots | None = None  # the send schedule of the processes sharing the database (none: the own)


class Channel(Protocol):
    """A running channel: its sender, its HTTP routes (if any), its life cycle and its state for /healthz."""

    @property
    def name(self) -> str:
        """The channel's name (telegram, zalo_oa...)."""

    @property
    def sender(self) -> Sender:
        """How the delivery worker reaches this channel's chats."""

    def routes(self) -> list[BaseRoute]:
        """Routes to mount on the one HTTP server (webhooks), under the channel's own prefix."""

    async def start(self) -> None:
        """Connect to the platform (check the token, set the webhook or menus)."""

    async def serve(self, stop: asyncio.Event) -> None:
        """Receive events until `stop` is set (long polling), or just wait (webhooks)."""

    async def close(self) -> None:
        """Release the platform client."""

    def state(self) -> dict[str, Any]:
        """What /healthz shows for this channel."""


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake at once when a stop is requested."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def until_stopped(call: Awaitable[T], stop: asyncio.Event, *quiet: type[BaseException]) -> T | None:
    """The call's result, or None as soon as a stop is requested (the call is cancelled; `quiet` faults of its
    cancellation are ignored)."""
    task = asyncio.ensure_future(call)
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, *quiet):
            await task
        return None
    return task.result()


@dataclass(frozen=True)
class Polling(Generic[T]):
    """How one platform is long-polled (see `long_poll`)."""

    channel: str  # names the polling lock `poll:<channel>` one process holds, and the log lines
    api: str  # how status lines name the platform's API
    fetch: Callable[[asyncio.Event], Awaitable[T | None]]  # one long poll, abandoned on a stop (falsy: nothing new)
    handle: Callable[[T], Awaitable[None]]  # what came, to the core; returns once the database has taken it
    report: Callable[[str], None]  # the adapter's status for /healthz
    unreachable: tuple[type[Exception], ...]  # the platform's faults: polled again after a growing pause
    asked: Callable[[Exception], float | None] = lambda exc: None  # seconds a fault asks to wait, not a fault
    standby: Callable[[], None] = lambda: None  # another process polls now (whoever polls next starts afresh)
    # True: the platform hands out again what the next poll did not confirm (offsets), so what the database
    # cannot take is fetched again; False: it is held here until the database takes it.
    redelivers: bool = False


async def long_poll(stop: asyncio.Event, polling: Polling[T], lock: Callable[[str], Awaitable[bool]]) -> None:
    """Poll until `stop`: only while this process holds the platform's polling lock, pausing longer after each
    fault in a row, and never losing what came while the database cannot take it (see `Polling.redelivers`)."""
    delay = 1.0
    while not stop.is_set():
        if not await lock(f"poll:{polling.channel}"):
            polling.report(STANDBY)
            polling.standby()
            await pause(stop, STANDBY_WAIT)
            continue
        try:
            batch = await polling.fetch(stop)
        except polling.unreachable as exc:
            asked = polling.asked(exc)
            if asked is not None:
                await pause(stop, asked)
                continue
            polling.report(f"{polling.api} unreachable: {exc}")
            log.warning("%s getUpdates failed (%s); retrying in %.0f s", polling.channel, exc, delay)
            await pause(stop, delay)
            delay = min(delay * 2, MAX_PAUSE)
            continue
        polling.report("ok")
        if batch and polling.redelivers:
            try:
                await polling.handle(batch)
            except StorageUnavailable:  # not confirmed: the platform hands it out again at the next poll
                polling.report(DATABASE_DOWN)
                await pause(stop, delay)
                delay = min(delay * 2, MAX_PAUSE)
                continue
        elif batch:
            await _hold(stop, polling, batch)
        delay = 1.0


async def _hold(stop: asyncio.Event, polling: Polling[T], batch: T) -> None:
    """Hand `batch` to the core until the database takes it or a stop is requested."""
    delay = 1.0
    while not stop.is_set():
        try:
            await polling.handle(batch)
            return
        except StorageUnavailable:
            polling.report(DATABASE_DOWN)
            await pause(stop, delay)
            delay = min(delay * 2, MAX_PAUSE)


Take = Callable[[dict[str, Any], bytes], Awaitable[bool]]  # a verified event (and its body); False: not kept
Check = Callable[[Request, bytes, dict[str, Any]], str | None]  # why a request is refused, or None


def verified_webhook(label: str, take: Take, secret: tuple[str, str] | None = None,
                     check: Check | None = None) -> Endpoint:
    """A webhook endpoint that answers every platform alike: the shared secret (`secret`: its header and value)
    before the body is read (403), the body within its limit (413), a JSON object (400), the signature (`check`
    says why it is refused: 403), then `take`: a malformed event is a 400 and one log line, an event the
    database cannot take now a 503 (the platform delivers it again), anything else a 200."""
    async def endpoint(request: Request) -> Response:
        if secret is not None and not hmac.compare_digest(request.headers.get(secret[0], "").encode(),
                                                          secret[1].encode()):
            log.warning("%s webhook request from %s without the right secret refused", label,
                        request.client.host if request.client else "?")
            return PlainTextResponse("forbidden", status_code=403)
        try:
            body = await read_body(request)
            data = json.loads(body)
        except BodyTooLarge:
            return PlainTextResponse("too large", status_code=413)
        except (ValueError, RecursionError):
            data = None
        if not isinstance(data, dict):
            return PlainTextResponse("bad request", status_code=400)
        refused = check(request, body, data) if check is not None else None
        if refused is not None:
            log.warning("%s event refused: %s", label, refused)
            return PlainTextResponse("forbidden", status_code=403)
        try:
            taken = await take(data, body)
        except Malformed as exc:  # authenticated, so worth one line, not a 500 and a traceback
            log.warning("%s event refused: %s", label, exc)
            return PlainTextResponse("bad request", status_code=400)
        except StorageUnavailable:
            taken = False
        return PlainTextResponse("ok") if taken else PlainTextResponse("try again", status_code=503)

    return endpoint
