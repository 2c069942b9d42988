"""Sends that hang or meet a rate limit, against the fakes: nobody else waits for them, and a 429 is one line."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.kernel.config import load_config
from bot.kernel.models import ADMIN, User
from bot.usecases.outcomes import succeeded
from channels.http import build_app
from channels.telegram import TelegramChannel
from tests.fakebotapi import FakeBotAPI
from tests.fakezalo import FakeZaloBot, FakeZaloOA
from tests.stack import Stack, long_polling, running
from tests.zalo_stack import bot_serving, oa_config, oa_serving, post

HANG = 30.0  # seconds a hanging chat's sends take (the adapters give up after 10 to 15)
PROMPT = 3.0  # seconds within which another chat is answered: generous for a busy machine, far below a time-out
SECRET = "hook-secret-1"


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as api:
        yield api


def telegram_config(fake: FakeBotAPI, tmp_path: Path, **extra: Any) -> Any:
    return load_config({}, telegram_token=fake.token, telegram_api=fake.url, db_path=tmp_path / "db.sqlite",
                       admin_ids=frozenset({"telegram:7"}), admin_chat_id="telegram:-100555",
                       rate_limit_per_minute=0, **extra)


async def until(condition: Any, timeout: float = 10.0) -> None:
    """Wait for `condition()` to hold."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def hanging(fake: FakeBotAPI, chat: int) -> bool:
    """True once a send to `chat` has reached the fake (and hangs there)."""
    return any(method == "sendMessage" and params.get("chat_id") == chat for method, params in fake.requests)


async def test_a_hanging_chat_holds_up_neither_polling_nor_other_chats(fake: FakeBotAPI, tmp_path: Path) -> None:
    fake.set_delay(HANG, chat_id=81)
    async with long_polling(telegram_config(fake, tmp_path), TelegramChannel):
        fake.inject_message(81, "/help")
        await until(lambda: hanging(fake, 81))
        started = time.monotonic()
        fake.inject_message(82, "/help")  # in the next batch: the next getUpdates must not wait for 81's send
        await fake.wait_sent_async(82, 1, timeout=15)
        assert time.monotonic() - started < PROMPT


@pytest.fixture
async def webhook(fake: FakeBotAPI, tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Stack]]:
    config = telegram_config(fake, tmp_path, webhook_url="https://bot.example/telegram/webhook", webhook_secret=SECRET)
    async with running(config, TelegramChannel) as stack:
        async def healthy() -> tuple[bool, dict[str, Any]]:
            return True, {}

        transport = httpx.ASGITransport(app=build_app(stack.channel.routes(), healthy))
        async with httpx.AsyncClient(transport=transport, base_url="http://papibot", timeout=60) as client:
            yield client, stack


async def test_eight_hanging_chats_hold_up_no_webhook_and_no_other_chat(fake: FakeBotAPI, webhook: Any) -> None:
    client, _ = webhook

    async def deliver(chat: int) -> int:
        uid = fake.inject_message(chat, "/help")
        update = next(u for u in fake.pending_updates() if u["update_id"] == uid)
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        return (await client.post("/telegram/webhook", json=update, headers=headers)).status_code

    slow = range(91, 99)
    for chat in slow:
        fake.set_delay(HANG, chat_id=chat)
    started = time.monotonic()
    assert await asyncio.gather(*(deliver(chat) for chat in slow)) == [200] * 8
    assert time.monotonic() - started < PROMPT  # Telegram hears back without waiting for the sends
    await until(lambda: all(hanging(fake, chat) for chat in slow))
    started = time.monotonic()
    assert await deliver(99) == 200
    await fake.wait_sent_async(99, 1, timeout=15)
    assert time.monotonic() - started < PROMPT


async def test_a_hanging_zalo_bot_chat_holds_up_no_other(tmp_path: Path) -> None:
    with FakeZaloBot() as bot:
        config = load_config({}, zalo_bot_token=bot.token, zalo_bot_api=bot.url, db_path=tmp_path / "db.sqlite",
                             rate_limit_per_minute=0)
        async with bot_serving(config):
            bot.delay(HANG, target="sendMessage", recipient="h1")
            bot.push_text("h1", "/help")
            await until(lambda: any(b"h1" in r["body"] and "sendMessage" in r["path"] for r in bot.requests))
            started = time.monotonic()
            bot.push_text("h2", "/help")
            await bot.wait_for_async(lambda m: m["chat_id"] == "h2", timeout=15)
            assert time.monotonic() - started < PROMPT


async def test_eight_hanging_zalo_oa_users_hold_up_no_other(tmp_path: Path) -> None:
    with FakeZaloOA() as fake:
        async with oa_serving(oa_config(fake, tmp_path)) as served:
            slow = [f"s{n}" for n in range(8)]
            for user in slow:
                fake.delay(HANG, target="message/cs", recipient=user)
            for user in slow:
                assert await post(fake, served, fake.text_event(user, "/help")) == 200
            await until(lambda: sum("message/cs" in r["path"] for r in fake.requests) >= 8)
            started = time.monotonic()
            assert await post(fake, served, fake.text_event("quick", "/help")) == 200
            await fake.wait_for_async(lambda m: m["user_id"] == "quick", timeout=15)
            assert time.monotonic() - started < PROMPT


async def test_a_429_is_one_warning_line_naming_the_chat_and_the_wait(fake: FakeBotAPI, tmp_path: Path,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with long_polling(telegram_config(fake, tmp_path), TelegramChannel) as stack:
        fake.fail_next("sendMessage", 429, retry_after=2, chat_id=71)
        fake.inject_message(71, "thủ tục nhận con nuôi")  # a direct reply meets the 429
        await fake.wait_sent_async(71, 1, timeout=10)
        fake.fail_next("sendMessage", 429, retry_after=2, chat_id=71)
        done = await stack.services.admin.answer(User("telegram", "7", "7", "Cán bộ", ADMIN), 1, "Nộp tại xã.")
        assert succeeded(done)
        stack.worker.wake()  # the officer's answer, through the outbox, meets the next one
        await fake.wait_sent_async(71, 2, timeout=10)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    limited = [r for r in caplog.records if "rate limit" in r.getMessage().lower()]
    assert [r.levelno for r in limited] == [logging.WARNING] * 2
    assert all("telegram:71" in r.getMessage() and "2s" in r.getMessage() for r in limited)
