"""Several papibot processes on one PostgreSQL database: each message sent once, one purge, one token refresh."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.engine.delivery import DeliveryWorker
from bot.kernel.config import load_config
from bot.kernel.models import Reply
from bot.store.channel_store import ChannelStore
from bot.store.outbox import CITIZEN_LANE
from bot.store.retention import PURGE_LOCK
from bot.store.storage import Storage
from channels.telegram import TelegramChannel
from tests.conftest import FuncSender
from tests.fakebotapi import FakeBotAPI
from tests.pgserver import PgServer
from tests.stack import running


@pytest.fixture
async def two_processes(pg_server: PgServer) -> AsyncIterator[tuple[Storage, Storage]]:
    """Two storages on the same database, as two processes would hold them."""
    url = pg_server.create_database()
    first = await Storage.open(url)
    second = await Storage.open(url)
    yield first, second
    await first.close()
    await second.close()
    pg_server.drop_database(url)


async def test_two_workers_send_each_message_once_and_each_chat_in_order(
        two_processes: tuple[Storage, Storage]) -> None:
    first, second = two_processes
    for n in range(12):
        await first.outbox.enqueue("console", f"chat{n % 4}", "note", f"m{n}")
    sent: list[tuple[str, str]] = []

    async def send(chat_id: str, reply: Reply) -> None:
        await asyncio.sleep(0.02)  # the platform takes its time: the other worker runs meanwhile
        sent.append((chat_id, reply.text))

    workers = [DeliveryWorker(s, {"console": FuncSender("console", send)}) for s in (first, second)]

    async def drain(worker: DeliveryWorker) -> None:
        for _ in range(50):
            await worker.run_once(CITIZEN_LANE)
            if len(sent) == 12:
                return
            await asyncio.sleep(0.01)

    await asyncio.gather(*(drain(w) for w in workers))
    assert sorted(sent) == sorted((f"chat{n % 4}", f"m{n}") for n in range(12))  # all, none twice
    for chat in range(4):
        texts = [text for chat_id, text in sent if chat_id == f"chat{chat}"]
        assert texts == sorted(texts, key=lambda t: int(t[1:]))
    assert await first.outbox.counts() == {"sent": 12}


async def test_a_claimed_message_is_left_to_its_sender(two_processes: tuple[Storage, Storage]) -> None:
    first, second = two_processes
    await first.outbox.enqueue("console", "c1", "note", "one")
    claimed = await first.outbox.claim(CITIZEN_LANE, ("console",))
    assert [i.text for i in claimed] == ["one"]
    assert await second.outbox.claim(CITIZEN_LANE, ("console",)) == []  # taken until settled or the lease ends
    await first.outbox.mark_retry(claimed[0].id, "network down", 0)
    assert [i.text for i in await second.outbox.claim(CITIZEN_LANE, ("console",))] == ["one"]


async def test_the_retention_purge_runs_in_one_process_at_a_time(two_processes: tuple[Storage, Storage]) -> None:
    first, second = two_processes
    await first.outbox.enqueue("console", "c1", "note", "old")
    [sent] = await first.outbox.claim(CITIZEN_LANE, ("console",))
    await first.outbox.mark_sent(sent.id)
    async with first.coordination.try_lock(PURGE_LOCK) as held:  # as if `first` were purging
        assert held
        assert await asyncio.wait_for(second.retention.purge(time.time()), 5) == 0  # skipped, not waiting
        assert await second.outbox.counts() == {"sent": 1}
    await second.retention.purge(time.time())
    assert await second.outbox.counts() == {}


async def test_a_zalo_token_refresh_waits_for_another_process(pg_server: PgServer) -> None:
    url = pg_server.create_database()
    config = load_config(env={}, db_url=url)
    first, second = await Storage.open(config), await Storage.open(config)  # two processes
    one, two = first.channels, second.channels
    try:
        order: list[str] = []

        async def refresh(store: ChannelStore, who: str) -> None:
            async with store.coordination.exclusive("zalo_oa token refresh"):
                order.append(f"{who} in")
                await asyncio.sleep(0.2)
                order.append(f"{who} out")

        started = asyncio.create_task(refresh(one, "one"))
        await asyncio.sleep(0.05)
        await asyncio.gather(started, refresh(two, "two"))
        assert order == ["one in", "one out", "two in", "two out"]
    finally:
        await first.close()
        await second.close()
        pg_server.drop_database(url)


async def test_two_processes_poll_telegram_one_at_a_time_and_answer_once(pg_server: PgServer, tmp_path: Path,
                                                                         knowledge_copy: Path) -> None:
    url = pg_server.create_database()
    with FakeBotAPI() as fake:
        config = load_config({}, telegram_token=fake.token, telegram_api=fake.url, db_url=url,
                             knowledge_dir=knowledge_copy, rate_limit_per_minute=0)
        async with running(config, TelegramChannel) as one, running(config, TelegramChannel) as two:
            stop = asyncio.Event()
            tasks = [asyncio.create_task(s.channel.serve(stop)) for s in (one, two)]
            try:
                for user in (81, 82, 83):
                    fake.inject_message(user, "làm giấy khai sinh cho con cần gì")
                for user in (81, 82, 83):
                    await fake.wait_for_async(lambda m, u=user: m["chat_id"] == u and "khai sinh" in m["text"],
                                              timeout=20)
                await asyncio.sleep(1.0)
                statuses = sorted(s.channel.status for s in (one, two))
                assert statuses[0] == "ok" and statuses[1].startswith("standby")
                for user in (81, 82, 83):
                    texts = [m["text"] for m in fake.sent(user)]
                    assert len(texts) == len(set(texts))  # nothing handled or sent twice
            finally:
                stop.set()
                await asyncio.wait_for(asyncio.gather(*tasks), 15)
    pg_server.drop_database(url)
