"""The composition root: services, router, core, channels, delivery, HTTP server, housekeeping, in order."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import signal
from functools import partial
from typing import Any

from bot.engine.core import Core
from bot.engine.delivery import DeliveryWorker
from bot.engine.guard import Flood, FloodGuard, flood_guard, install_log_masking
from bot.engine.router import Router
from bot.engine.services import Services, open_services
from bot.kernel.clock import SYSTEM, Clock
from bot.kernel.config import Config
from bot.kernel.loops import LoopThread
from bot.kernel.models import CITIZEN
from bot.kernel.registry import REGISTRY, Registry
from bot.store.heartbeat import keep_beating
from bot.store.lease import poll_lease
from bot.store.outbox import CITIZEN_LANE, OFFICER_LANE
from bot.usecases.learned import follow_knowledge
from channels.apart import serve_apart
from channels.base import Channel, ChannelContext
from channels.console import ConsoleChannel, stdin_is_terminal
from channels.watch import alert_officers, watch_database
from handlers.routes import ROUTES

log = logging.getLogger(__name__)
NO_CHANNEL_SETTINGS = "TELEGRAM_BOT_TOKEN, PAPIBOT_ZALO_OA_..., ZALO_BOT_TOKEN"
HOUSEKEEPING_INTERVAL = 6 * 3600  # seconds between retention purges
KNOWLEDGE_POLL = 5.0  # seconds between checks of the knowledge version other processes may have changed
REPLY_GRACE = 1.0  # seconds replies in flight get at shutdown; the rest are handed to the outbox for the next start


def channel_context(core: Core) -> ChannelContext:
    """What the adapters may use of this process: the settings, the core's door, the command table, the polling
    lock, the repositories a webhook channel keeps its records in, and the send schedule of the processes sharing
    the database."""
    services = core.services
    storage = services.storage
    return ChannelContext(settings=services.config, submit=core.handle, commands=core.router.commands_for,
                          poll_lock=partial(poll_lease, storage),
                          store=storage.channels, clock=services.clock, send_slots=storage.coordination)


def build_channels(config: Config, context: ChannelContext, registry: Registry = REGISTRY) -> list[Channel]:
    """An adapter, given `context`, for every channel of the registry whose settings are present (send-only ones,
    such as e-mail, included), in registry order."""
    channels: list[Channel] = []
    for entry in registry.started(config):
        module, _, name = entry.build.partition(":")
        channels.append(getattr(importlib.import_module(module), name)(context))
    return channels


async def _housekeeping(services: Services, flood: Flood, stop: asyncio.Event) -> None:
    """Erase citizens' data past the retention period, forget flood windows that have passed, and tell the
    officers of dated knowledge changes that have passed (once each)."""
    while not stop.is_set():
        try:
            removed = await services.purge_expired()
            if removed:
                log.info("retention: erased %s records older than %s days", removed, services.config.retention_days)
            await flood.tidy()
            await services.dated_changes()
        except Exception:
            log.exception("housekeeping failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), HOUSEKEEPING_INTERVAL)


def _health(services: Services, channels: list[Channel], registry: Registry = REGISTRY) -> Any:
    async def health() -> tuple[bool, dict[str, Any]]:
        state = await services.storage.database.state()
        ok = state == "ok"
        detail: dict[str, Any] = {"database": state,
                                  "channels": {c.name: c.state() for c in channels},
                                  "officers_destinations": list(services.config.admin_chat_id)}
        warnings = [] if any(registry.kind(c.name).citizens for c in channels) else [
            f"no channel is configured ({NO_CHANNEL_SETTINGS}): only the web console runs, citizens cannot write "
            "and nothing is delivered"]
        if not services.config.admin_chat_id:
            warnings.append("no officers' destination (PAPIBOT_ADMIN_CHAT_ID): new tickets are not announced")
        if warnings:
            detail["warning"] = "; ".join(warnings)
        return ok, detail
    return health


def console_address(config: Config) -> str:
    """Where the officers' web console listens, as a person types it (or that `papibot web` serves it)."""
    if not config.web_port:
        return "do «papibot web» phục vụ"
    return config.web_url or f"http://{config.web_listen}:{config.web_port}/"


async def _serve_web(services: Services, stop: asyncio.Event) -> None:
    """The officers' web console on its own listener (office network only), apart from the webhooks."""
    from channels.web import serve_console

    config = services.config
    if not config.web_port:  # PAPIBOT_WEB_PORT=0: a `papibot web` of its own serves it (several processes)
        return
    try:
        await serve_console(services, stop)
    except OSError as exc:  # e.g. `papibot web` already serves it on this port: the channels keep running
        log.error("the web console is not served on %s:%s (%s)", config.web_listen, config.web_port, exc)


async def run(config: Config, stop: asyncio.Event | None = None, interactive: bool | None = None,
              clock: Clock = SYSTEM, registry: Registry = REGISTRY) -> int:
    """Run every configured channel of the `registry` in one process until SIGINT/SIGTERM; with none, the console
    chat at a terminal (`interactive`, default: standard input is one), else the web console and /healthz alone.
    Every part reads the time from the one `clock`."""
    install_log_masking(registry.secret_values(config))
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its request lines contain the bot token
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    # Services, router and core
    services = await open_services(config, clock=clock)
    flood = flood_guard(services.storage, config.rate_limit_per_minute)
    router = Router(services, ROUTES, flood)
    core = Core(services, router)
    # Channels: with none, the console chat at a terminal; the web console alone under a service manager
    channels = build_channels(config, channel_context(core), registry)
    citizens = any(registry.kind(c.name).citizens for c in channels)  # e-mail alone reaches officers, not citizens
    if not citizens and (stdin_is_terminal() if interactive is None else interactive):
        try:
            return await run_console(services, core, CITIZEN, "1", "Công dân")
        finally:
            await services.close()
    if not citizens:
        log.warning("Chưa cấu hình kênh nào (%s): chỉ chạy bảng điều khiển web cho cán bộ (%s) và /healthz; "
                    "công dân chưa nhắn tin được", NO_CHANNEL_SETTINGS, console_address(config))
    if not config.admin_chat_id:
        log.warning("no officers' destination is configured (PAPIBOT_ADMIN_CHAT_ID): new tickets will not be "
                    "announced to anyone; officers must check /queue")
    for warning in registry.place_warnings(config):
        log.warning("officers' destination: %s", warning)
    # Delivery, and alerts that cannot wait for the database
    worker = DeliveryWorker(services.storage, {c.name: c.sender for c in channels}, services.officers.undeliverable,
                            on_notice_lost=services.officers.notice_lost)

    async def alert(text: str) -> None:
        await alert_officers(channels, config.admin_chat_id, text)

    core.on_outage = alert
    lost = asyncio.Event()

    async def on_lost() -> None:
        lost.set()
        await alert(f"papibot dừng lại: tệp cơ sở dữ liệu {config.db_path} đã bị xóa hoặc thay thế khi đang chạy. "
                    "Hãy khôi phục từ bản sao lưu rồi khởi động lại.")
        stop.set()

    tasks: list[asyncio.Task[Any]] = []
    webhooks = LoopThread("papibot-webhooks")  # the HTTP server's own loop: acknowledgements apart from matching
    try:
        webhooks.start()
        await services.storage.channels.inbound.acknowledge_on(webhooks)
        for channel in channels:
            await channel.start()
        # HTTP server, then everything that runs until stopped
        routes = [route for c in channels for route in c.routes()]
        tasks = [asyncio.create_task(worker.run()), asyncio.create_task(_housekeeping(services, flood, stop))]
        tasks += [asyncio.create_task(c.serve(stop)) for c in channels]
        tasks += [asyncio.create_task(_serve_web(services, stop)),
                  asyncio.create_task(follow_knowledge(services.learned, stop, KNOWLEDGE_POLL)),
                  asyncio.create_task(keep_beating(services.storage.heartbeat, tuple(c.name for c in channels), stop))]
        if not config.db_url:  # a SQLite file can be deleted under the bot; a server reports its own faults
            tasks.append(asyncio.create_task(watch_database(config.db_path, stop, on_lost)))
        await serve_apart(routes, _health(services, channels, registry), config.http_listen, config.http_port, stop,
                          webhooks, trusted=config.trusted_proxies)
        return 3 if lost.is_set() else 0
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await core.drain(REPLY_GRACE)
        try:
            for channel in channels:
                await channel.close()
            await services.close()
        finally:
            await webhooks.close()


async def run_console(services: Services, core: Core, role: str, user_id: str, name: str) -> int:
    """The console chat over the given services: one local user, numbered options for buttons."""
    console = ConsoleChannel(core.process, role, user_id, name)
    worker = DeliveryWorker(services.storage, {"console": console.sender})

    async def flush() -> None:
        await worker.run_once(CITIZEN_LANE)
        await worker.run_once(OFFICER_LANE)

    stop = asyncio.Event()
    beating = asyncio.create_task(keep_beating(services.storage.heartbeat, (console.name,), stop))
    try:
        await console.run(flush)
    finally:
        stop.set()
        await beating
    return 0


async def chat(config: Config, role: str, user_id: str, name: str, clock: Clock = SYSTEM) -> int:
    """`papibot chat`: the console as any role (a local, trusted channel)."""
    services = await open_services(config, clock=clock)
    try:
        router = Router(services, ROUTES, FloodGuard(config.rate_limit_per_minute, clock=clock))
        return await run_console(services, Core(services, router), role, user_id, name)
    finally:
        await services.close()
