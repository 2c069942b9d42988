"""In-process Zalo stacks for tests: the real channel, core, delivery and HTTP server against the fakes."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.engine.delivery import wait_delivered
from bot.kernel.config import Config, load_config
from bot.kernel.loops import LoopThread
from channels.apart import serve_apart
from channels.zalo_bot import ZaloBotChannel
from channels.zalo_oa import ZaloOAChannel
from tests.fakezalo import FakeZaloBot, FakeZaloOA
from tests.stack import Stack, running
from tests.waiting import until

OFFICER = "officer-1"  # a Zalo OA user who is also the officers' destination


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def oa_config(fake: FakeZaloOA, tmp: Path, **extra: Any) -> Config:
    """Settings for the OA channel against the fake, with an officer on Zalo itself."""
    values: dict[str, Any] = {
        "zalo_oa_app_id": fake.app_id, "zalo_oa_app_secret": fake.app_secret,
        "zalo_oa_secret_key": fake.oa_secret_key, "zalo_oa_refresh_token": fake.refresh_token,
        "zalo_oa_id": fake.oa_id, "zalo_oa_api": fake.url, "zalo_oauth_api": fake.url,
        "db_path": tmp / "db.sqlite", "admin_ids": frozenset({f"zalo_oa:{OFFICER}"}),
        "admin_chat_id": f"zalo_oa:{OFFICER}", "rate_limit_per_minute": 0, **extra}
    return load_config({}, **values)


@dataclass
class Served:
    """A running stack with its webhook URL."""

    stack: Stack
    url: str

    @property
    def channel(self) -> Any:
        """The channel under test."""
        return self.stack.channel


@contextlib.asynccontextmanager
async def serving(config: Config, make_channel: Any, path: str) -> AsyncIterator[Served]:
    """The stack plus the one HTTP server on a loop of its own and the channel's serve loop, like `papibot run`."""
    port = free_port()
    webhooks = LoopThread("webhooks")
    webhooks.start()
    try:
        async with running(config, make_channel) as stack:
            await stack.services.storage.channels.inbound.acknowledge_on(webhooks)
            stop = asyncio.Event()
            started = asyncio.Event()

            async def health() -> tuple[bool, dict[str, Any]]:
                return True, {"channels": {stack.channel.name: stack.channel.state()}}

            tasks = [asyncio.create_task(serve_apart(stack.channel.routes(), health, "127.0.0.1", port, stop, webhooks,
                                                     started.set)),
                     asyncio.create_task(stack.channel.serve(stop))]
            await asyncio.wait_for(started.wait(), 10)
            try:
                yield Served(stack, f"http://127.0.0.1:{port}{path}")
            finally:
                stop.set()
                await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)
    finally:
        await webhooks.close()


def oa_serving(config: Config) -> contextlib.AbstractAsyncContextManager[Served]:
    """The OA channel served on its webhook path."""
    return serving(config, ZaloOAChannel, "/zalo/oa/webhook")


def bot_serving(config: Config) -> contextlib.AbstractAsyncContextManager[Served]:
    """The Zalo Bot channel (webhook or polling by its settings)."""
    return serving(config, ZaloBotChannel, "/zalo/bot/webhook")


@contextlib.asynccontextmanager
async def bot_webhook(bot: FakeZaloBot, tmp: Path) -> AsyncIterator[Served]:
    """The Zalo Bot channel in webhook mode, the fake delivering straight to it."""
    config = load_config({}, zalo_bot_token=bot.token, zalo_bot_api=bot.url, db_path=tmp / "db.sqlite",
                         zalo_bot_webhook_url="https://example.invalid/zalo/bot/webhook",
                         zalo_bot_webhook_secret="s3cret-token-123")
    async with bot_serving(config) as served:
        bot._webhook["url"] = served.url  # the public URL goes through nginx; the test posts directly
        yield served


async def post(fake: FakeZaloOA, served: Served, event: dict[str, Any], **kw: Any) -> int:
    """Deliver one signed event to the webhook; the HTTP status."""
    status, _ = await asyncio.to_thread(fake.post_event, served.url, event, **kw)
    return status


async def say(fake: FakeZaloOA, served: Served, user: str, text: str, count: int = 1) -> list[dict[str, Any]]:
    """A citizen writes; wait until `count` more messages reached them; return those."""
    before = len(fake.messages_to(user))
    assert await post(fake, served, fake.text_event(user, text)) == 200
    await fake.wait_for_async(lambda m: len(fake.messages_to(user)) >= before + count, timeout=10)
    return fake.messages_to(user)[before:]


async def settle(served: Served, outbox: bool = True) -> None:
    """Until the inbound worker has handled every stored event and every reply went out (with `outbox`, also what
    waited in the outbox): nothing more can come."""
    async def handled() -> bool:
        return not (await served.channel.store.inbound.counts(served.channel.name)).get("pending")

    await until(handled, timeout=10, what="every stored event handled")
    await served.stack.core.drain()
    if outbox:
        assert await wait_delivered(served.stack.services.storage), "the outbox still holds messages"


def bot_fake() -> FakeZaloBot:
    """A Zalo Bot Platform fake (a context manager)."""
    return FakeZaloBot()
