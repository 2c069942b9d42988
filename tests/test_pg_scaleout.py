"""Several papibot processes on one PostgreSQL database: each message is sent by exactly one of them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.delivery import DeliveryWorker
from bot.models import Reply
from bot.storage import Storage
from bot.store_outbox import CITIZEN_LANE
from tests.conftest import FuncSender
from tests.pgserver import PgServer


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
        await first.enqueue("console", f"chat{n % 4}", "note", f"m{n}")
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
    assert await first.outbox_counts() == {"sent": 12}


async def test_a_claimed_message_is_left_to_its_sender(two_processes: tuple[Storage, Storage]) -> None:
    first, second = two_processes
    await first.enqueue("console", "c1", "note", "one")
    claimed = await first.claim_outbox(CITIZEN_LANE, ("console",))
    assert [i.text for i in claimed] == ["one"]
    assert await second.claim_outbox(CITIZEN_LANE, ("console",)) == []  # taken until settled or the lease ends
    await first.mark_retry(claimed[0].id, "network down", 0)
    assert [i.text for i in await second.claim_outbox(CITIZEN_LANE, ("console",))] == ["one"]
