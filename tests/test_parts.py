"""A long message whose second part meets a rate limit: every part reaches the citizen once, in order, on every
channel, whether the outbox sends it (an officer's answer) or it is a direct reply (the ticket shown in full)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.engine.delivery import DeliveryWorker, send_parts, wait_delivered
from bot.engine.services import Services
from bot.kernel.config import load_config
from bot.kernel.models import ADMIN, Progress, Reply, User
from bot.kernel.render import plain_messages, split_message
from bot.store.outbox import CITIZEN_LANE
from bot.store.storage import Storage
from bot.usecases.outcomes import succeeded
from channels.telegram import TelegramChannel
from channels.zalo_oa.sender import HINT, LIMIT
from tests.fakebotapi import FakeBotAPI
from tests.fakezalo import FakeZaloBot, FakeZaloOA
from tests.stack import Stack, long_polling
from tests.zalo_stack import OFFICER, bot_serving, oa_config, oa_serving, post

QUESTION = "thủ tục nhận con nuôi"  # not in the knowledge base: queued as ticket #1
CITIZEN = "61"
BOTH_BACKENDS = True  # the one test that asks for `backend` runs on SQLite and PostgreSQL


def long_answer(size: int) -> str:
    """An officer's answer of about `size` characters, in numbered steps."""
    steps = [f"Bước {n}: nộp hồ sơ tại UBND xã nơi cư trú, kèm bản sao giấy tờ tùy thân." for n in range(1, 400)]
    return "\n".join(steps)[:size].rsplit("\n", 1)[0] + "\nHẾT."


@dataclass
class Citizen:
    """One citizen on one channel: how they write, what reached them, and the fault aimed at them."""

    stack: Stack
    officer: User
    say: Callable[[str], Any]  # awaitable
    received: Callable[[], list[str]]
    fail_second_send: Callable[[], None]
    parts: Callable[[str, list[list[tuple[str, str]]]], list[str]]


async def arrived(citizen: Citizen, count: int, timeout: float = 15.0) -> list[str]:
    """Wait for `count` messages in all; a platform's asked-for wait (30 or 60 s on Zalo) is let pass at once."""
    storage, deadline = citizen.stack.services.storage, time.monotonic() + timeout
    while len(citizen.received()) < count:
        assert time.monotonic() < deadline, f"only {len(citizen.received())} of {count} messages arrived"
        await storage.database.execute("UPDATE outbox SET next_attempt_at = 0 WHERE status = 'pending'"
                                       " AND next_attempt_at > ?", (time.time() + 1.5,))
        citizen.stack.worker.wake()
        await asyncio.sleep(0.05)
    assert await wait_delivered(storage, 10)  # settled: no part can come again after this
    return citizen.received()


async def outbox_row(storage: Storage, kind: str) -> tuple[str, list[list[tuple[str, str]]]]:
    """Text and buttons of the newest outbox message of this kind, once it is there."""
    for _ in range(200):
        row = await storage.database.one("SELECT text, buttons FROM outbox WHERE kind = ? ORDER BY id DESC LIMIT 1",
                                         (kind,))
        if row is not None:
            return str(row["text"]), [[(str(a), str(b)) for a, b in r] for r in json.loads(row["buttons"])]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no outbox message of kind {kind}")


async def each_part_once(citizen: Citizen, answer_size: int) -> None:
    """The officer's answer (outbox), then the ticket in full (a direct reply): 429 on part 2 of each."""
    await citizen.say(QUESTION)
    mark = len(await arrived(citizen, 1))
    citizen.fail_second_send()
    done = await citizen.stack.services.admin.answer(citizen.officer, 1, long_answer(answer_size))
    assert succeeded(done), done
    citizen.stack.worker.wake()
    expected = citizen.parts(*await outbox_row(citizen.stack.services.storage, "answer"))
    assert len(expected) == 3
    assert (await arrived(citizen, mark + 3))[mark:] == expected
    mark += 3
    citizen.fail_second_send()
    await citizen.say("/theodoi 1")
    expected = citizen.parts(*await outbox_row(citizen.stack.services.storage, "reply"))  # handed over at part 2
    assert len(expected) == 3
    assert (await arrived(citizen, mark + 3))[mark:] == expected


@pytest.fixture
def telegram_fake() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as api:
        yield api


async def test_telegram_sends_each_part_once(telegram_fake: FakeBotAPI, tmp_path: Path) -> None:
    fake = telegram_fake
    config = load_config({}, telegram_token=fake.token, telegram_api=fake.url, db_path=tmp_path / "db.sqlite",
                         admin_ids=frozenset({"telegram:7"}), admin_chat_id="telegram:-100555",
                         rate_limit_per_minute=0)
    async with long_polling(config, TelegramChannel) as stack:
        async def say(text: str) -> None:
            fake.inject_message(int(CITIZEN), text)

        await each_part_once(Citizen(
            stack, User("telegram", "7", "7", "Cán bộ", ADMIN), say,
            lambda: [m["text"] for m in fake.sent(int(CITIZEN))],
            lambda: fake.fail_next("sendMessage", 429, retry_after=1, chat_id=int(CITIZEN), after=1),
            lambda text, buttons: split_message(text, utf16=True)), 9000)


async def test_zalo_oa_sends_each_part_once(tmp_path: Path) -> None:
    with FakeZaloOA() as fake:
        fake.user_wrote(OFFICER)
        async with oa_serving(oa_config(fake, tmp_path)) as served:
            async def say(text: str) -> None:
                assert await post(fake, served, fake.text_event(CITIZEN, text)) == 200

            await each_part_once(Citizen(
                served.stack, User("zalo_oa", OFFICER, OFFICER, "Cán bộ", ADMIN), say,
                lambda: [m["text"] for m in fake.messages_to(CITIZEN)],
                lambda: fake.fail_next(429, target="message/cs", recipient=CITIZEN, after=1),
                lambda text, buttons: plain_messages(text, buttons, LIMIT, HINT)), 5000)


async def test_zalo_bot_sends_each_part_once(tmp_path: Path) -> None:
    with FakeZaloBot() as bot:
        config = load_config({}, zalo_bot_token=bot.token, zalo_bot_api=bot.url, db_path=tmp_path / "db.sqlite",
                             admin_ids=frozenset({"zalo_bot:9"}), rate_limit_per_minute=0)
        async with bot_serving(config) as served:
            async def say(text: str) -> None:
                bot.push_text(CITIZEN, text)

            await each_part_once(Citizen(
                served.stack, User("zalo_bot", "9", "9", "Cán bộ", ADMIN), say,
                lambda: [m["text"] for m in bot.messages_to(CITIZEN)],
                lambda: bot.fail_next(429, target="sendMessage", recipient=CITIZEN, after=1),
                lambda text, buttons: plain_messages(text, buttons, LIMIT, HINT)), 5000)


class PipeSender:
    """A console sender whose message parts are separated by "|"; one part may hang (the process then dies)."""

    channel = "console"

    def __init__(self, hang_at: int | None = None) -> None:
        self.got: list[str] = []
        self.hang_at = hang_at

    async def send(self, chat_id: str, reply: Reply, reply_to: str | None = None,
                   progress: Progress | None = None) -> str | None:
        """Send the parts after `progress`."""
        async def one(index: int, part: str) -> str:
            if index == self.hang_at:
                await asyncio.Event().wait()
            self.got.append(part)
            return f"m{index}"

        return await send_parts(reply.text.split("|"), progress, one)


async def test_a_process_killed_mid_message_sends_no_accepted_part_again(backend: str, services: Services) -> None:
    storage = services.storage
    await storage.outbox.enqueue("console", "c1", "note", "một|hai|ba")
    dying = PipeSender(hang_at=1)
    task = asyncio.create_task(DeliveryWorker(storage, {"console": dying}).run_once(CITIZEN_LANE))
    for _ in range(200):
        row = await storage.database.one("SELECT parts_sent FROM outbox")
        if row is not None and row["parts_sent"] == 1:
            break
        await asyncio.sleep(0.02)
    task.cancel()  # killed while part 2 is on its way: the message is never settled
    await asyncio.gather(task, return_exceptions=True)
    # What a restart (or, on PostgreSQL, another process taking the dead one's claim back) finds:
    await storage.database.execute("UPDATE outbox SET next_attempt_at = 0, claimed_by = NULL")
    heir = PipeSender()
    assert await DeliveryWorker(storage, {"console": heir}).run_once(CITIZEN_LANE) == 1
    assert (dying.got, heir.got) == (["một"], ["hai", "ba"])
    row = await storage.database.one("SELECT status, message_id FROM outbox")
    assert row is not None and (row["status"], row["message_id"]) == ("sent", "m0")
