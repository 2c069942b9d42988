"""Delivery measured against the fake Bot API: per-chat back-off, the officers' lane, time-outs not repeated."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.engine.delivery import wait_delivered
from bot.kernel.config import load_config
from bot.kernel.models import ADMIN, User
from bot.store.outbox import OFFICER_LANE
from bot.usecases.outcomes import succeeded
from channels.base import ChannelContext
from channels.telegram import TelegramChannel
from tests.fakebotapi import FakeBotAPI
from tests.stack import Stack, running
from tests.waiting import until

GROUP = -100555
OFFICER = User("telegram", "7", "7", "Cán bộ", ADMIN)
UNKNOWN = "cấp phép bay flycam quay phim đám cưới lần {}"


@pytest.fixture
def fake() -> Any:
    with FakeBotAPI() as api:
        yield api


@pytest.fixture
async def stack(fake: FakeBotAPI, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    timeout = getattr(request, "param", 10.0)
    config = load_config({}, telegram_token=fake.token, telegram_api=fake.url, db_path=tmp_path / "db.sqlite",
                         admin_ids=frozenset({"telegram:7"}), admin_chat_id=f"telegram:{GROUP}")

    def channel(context: ChannelContext) -> TelegramChannel:
        return TelegramChannel(context, timeout=timeout)

    async with running(config, channel) as s:
        yield s


async def ticket_of(stack: Stack, citizen: int) -> int:
    user = User("telegram", str(citizen), str(citizen), "Dân", "citizen")
    reply = await stack.services.citizen.ask(user, UNKNOWN.format(citizen))
    assert reply.diagnosis.ticket_id is not None
    return reply.diagnosis.ticket_id


async def answer(stack: Stack, ticket: int, text: str) -> None:
    done = await stack.services.admin.answer(OFFICER, ticket, text)
    assert succeeded(done), done
    stack.worker.wake()


def requested(fake: FakeBotAPI, chat: int) -> int:
    """How many sends to `chat` reached the fake, counted as they arrive (before any delay or fault)."""
    return sum(1 for method, params in fake.requests
               if method == "sendMessage" and str(params.get("chat_id")) == str(chat))


async def arrival(fake: FakeBotAPI, chat: int, marker: str, started: float, timeout: float = 10.0) -> float:
    """Seconds from `started` until a message containing `marker` reached `chat`."""
    await fake.wait_for_async(lambda m: m["chat_id"] == chat and marker in m["text"], timeout)
    return time.monotonic() - started


async def test_a_429_for_one_citizen_does_not_delay_another(stack: Stack, fake: FakeBotAPI) -> None:
    first, second = await ticket_of(stack, 41), await ticket_of(stack, 42)
    assert await wait_delivered(stack.services.storage)  # the ticket posts to the officers' group go out first
    fake.fail_next("sendMessage", 429, retry_after=3)
    started = time.monotonic()
    await answer(stack, first, "Trả lời A")
    await until(lambda: requested(fake, 41) == 1, what="A's answer meets the 429")  # and waits 3 s
    await answer(stack, second, "Trả lời B")
    waited_b = await arrival(fake, 42, "Trả lời B", started)
    waited_a = await arrival(fake, 41, "Trả lời A", started)
    assert waited_b < 1.5  # not held up by A's back-off
    assert waited_a >= 2.5  # A waited as Telegram asked, and still got it
    assert len([m for m in fake.sent(41) if "Trả lời A" in m["text"]]) == 1


async def test_officer_notices_never_queue_in_front_of_citizens_answers(stack: Stack, fake: FakeBotAPI) -> None:
    ticket = await ticket_of(stack, 43)
    storage = stack.services.storage
    for i in range(1000):
        await storage.outbox.enqueue("telegram", str(GROUP), f"notice:{i}", f"Thông báo {i}", lane=OFFICER_LANE)
    await fake.wait_for_async(lambda m: m["text"].startswith("Thông báo "))  # the officers' lane is busy with it
    started = time.monotonic()
    await answer(stack, ticket, "Câu trả lời cho công dân")
    assert await arrival(fake, 43, "Câu trả lời cho công dân", started) < 2.0
    counts = await storage.outbox.counts()
    assert counts.get("pending", 0) > 900  # the backlog is still waiting on the group's rate limit


@pytest.mark.parametrize("stack", [1.0], indirect=True)
async def test_a_send_that_timed_out_is_not_sent_again_blindly(stack: Stack, fake: FakeBotAPI) -> None:
    citizens = range(51, 56)
    tickets = {c: await ticket_of(stack, c) for c in citizens}
    storage = stack.services.storage
    assert await wait_delivered(storage)  # the ticket posts are out
    fake.set_delay(2.0)  # the Bot API is slow: every send times out on our side but arrives
    for citizen, ticket in tickets.items():
        await answer(stack, ticket, f"Trả lời số {citizen}")

    def copies(citizen: int) -> int:
        return len([m for m in fake.sent(citizen) if f"Trả lời số {citizen}" in m["text"]])

    await until(lambda: all(copies(c) for c in citizens), timeout=15, what="every slow send arrived")
    fake.set_delay(0)
    assert [copies(c) for c in citizens] == [1] * 5  # each arrived once
    assert [requested(fake, c) for c in citizens] == [1] * 5  # none re-sent when it timed out (1 s before)
    assert (await storage.outbox.counts()).get("uncertain") == 5
    # Sixty seconds later each uncertain send is tried once more: at most one extra copy per send in flight.
    await storage.database.execute("UPDATE outbox SET next_attempt_at = 0 WHERE status = 'uncertain'")
    stack.worker.wake()
    assert await wait_delivered(storage, 10)  # every uncertain send was tried again and settled
    assert sum(copies(c) for c in citizens) <= 5 + 5 and all(copies(c) >= 1 for c in citizens)
    assert (await storage.outbox.counts()).get("uncertain", 0) == 0
