"""The composition of app/run.py for in-process tests: services, router, core, a channel and delivery."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from app.run import build_channels, channel_context
from bot.engine.core import Core
from bot.engine.delivery import DeliveryWorker
from bot.engine.guard import flood_guard
from bot.engine.router import Router
from bot.engine.services import Services, open_services
from bot.kernel.clock import SYSTEM, Clock
from bot.kernel.config import Config
from bot.kernel.registry import REGISTRY, Registry
from handlers.routes import ROUTES


@dataclass
class Stack:
    """Everything one running papibot process holds."""

    services: Services
    router: Router
    core: Core
    channel: Any
    worker: DeliveryWorker


@contextlib.asynccontextmanager
async def running(config: Config, make_channel: Any, deliver: bool = True,
                  clock: Clock = SYSTEM) -> AsyncIterator[Stack]:
    """Open the services on `clock`, build the channel with `make_channel(context)` (and the send-only channels the
    settings configure, such as e-mail), run delivery."""
    services = await open_services(config, clock=clock)
    router = Router(services, ROUTES, flood_guard(services.storage, config.rate_limit_per_minute))
    core = Core(services, router)
    context = channel_context(core)
    channel = make_channel(context)
    send_only = build_channels(config, context, Registry(k for k in REGISTRY.kinds if not k.citizens))
    worker = DeliveryWorker(services.storage, {c.name: c.sender for c in (channel, *send_only)},
                            services.officers.undeliverable, tick=0.2, on_notice_lost=services.officers.notice_lost)
    await channel.start()
    task = asyncio.create_task(worker.run()) if deliver else None
    try:
        yield Stack(services, router, core, channel, worker)
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await core.drain(1.0)
        await channel.close()
        await services.close()


@contextlib.asynccontextmanager
async def long_polling(config: Config, make_channel: Any) -> AsyncIterator[Stack]:
    """The stack with the channel's serve loop (long polling) running, as `papibot run` has it."""
    async with running(config, make_channel) as stack:
        stop = asyncio.Event()
        task = asyncio.create_task(stack.channel.serve(stop))
        try:
            yield stack
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)
