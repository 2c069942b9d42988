"""Outbox claims across processes on one PostgreSQL database: a dead process's messages go out soon, once."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.engine.delivery import CONCURRENT_SENDS, DeliveryWorker, Uncertain
from bot.kernel.models import Reply
from bot.store import pg_coordination, pg_locks
from bot.store.outbox import CITIZEN_LANE
from bot.store.storage import Storage
from tests.conftest import FuncSender
from tests.pgserver import PgServer

Received = list[tuple[str, str]]


@pytest.fixture
async def two_processes(pg_server: PgServer) -> AsyncIterator[tuple[Storage, Storage]]:
    """Two storages on the same database, as two processes would hold them."""
    url = pg_server.create_database()
    first = await Storage.open(url)
    second = await Storage.open(url)
    yield first, second
    for storage in (first, second):
        with contextlib.suppress(Exception):  # a "killed" one has nothing left to close
            await storage.close()
    pg_server.drop_database(url)


def worker(storage: Storage, send: Callable[[str, Reply], Awaitable[object]]) -> DeliveryWorker:
    """A process's delivery worker over the console channel."""
    return DeliveryWorker(storage, {"console": FuncSender("console", send)})


def recorder(received: Received, gate: asyncio.Event | None = None,
             then: BaseException | None = None) -> Callable[[str, Reply], Awaitable[None]]:
    """A platform that takes each message at once; its answer waits for `gate`, then fails with `then`."""
    async def send(chat_id: str, reply: Reply) -> None:
        received.append((chat_id, reply.text))
        if gate is not None:
            await gate.wait()
        if then is not None:
            raise then
    return send


async def until(check: Callable[[], Awaitable[bool]], tries: int = 300) -> None:
    """Wait (briefly, repeatedly) for `check`; fail rather than hang."""
    for _ in range(tries):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("never happened")


async def drain(storage: Storage, send: Callable[[str, Reply], Awaitable[None]], total: int) -> None:
    """Run a worker until the outbox shows `total` messages sent."""
    run = worker(storage, send)

    async def done() -> bool:
        await run.run_once(CITIZEN_LANE)
        return await storage.outbox.counts() == {"sent": total}

    await until(done)


def kill(storage: Storage) -> None:
    """What kill -9 does to a process's connections: gone at once, nothing settled."""
    storage.database.terminate()


async def test_a_dead_process_s_messages_are_sent_by_another_and_only_those_in_flight_can_repeat(
        two_processes: tuple[Storage, Storage]) -> None:
    a, b = two_processes
    for n in range(CONCURRENT_SENDS + 2):  # more than A sends at once: two wait in its batch
        await a.outbox.enqueue("console", f"chat{n}", "note", f"m{n}")
    await a.outbox.enqueue("console", "chat0", "note", "later")  # behind chat0's first message
    received: Received = []
    dying = asyncio.create_task(worker(a, recorder(received, asyncio.Event())).run_once(CITIZEN_LANE))

    async def all_in_flight() -> bool:
        return len(received) == CONCURRENT_SENDS

    await until(all_in_flight)
    in_flight = set(received)
    dying.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await dying
    kill(a)

    await drain(b, recorder(received), CONCURRENT_SENDS + 3)
    expected = {(f"chat{n}", f"m{n}") for n in range(CONCURRENT_SENDS + 2)} | {("chat0", "later")}
    assert set(received) == expected
    for message in expected:
        assert received.count(message) <= (2 if message in in_flight else 1)
    chat0 = [text for chat, text in received if chat == "chat0"]
    assert chat0[-1] == "later"  # still in order: the reclaimed head went first


async def test_a_message_taken_from_a_dead_process_is_given_up_when_it_times_out_again(
        two_processes: tuple[Storage, Storage]) -> None:
    a, b = two_processes
    await a.outbox.enqueue("console", "c1", "note", "one")
    assert [i.text for i in await a.outbox.claim(CITIZEN_LANE, ("console",))] == ["one"]
    kill(a)  # it may have reached the person: a second timeout must not send it a third time
    received: Received = []
    b_worker = worker(b, recorder(received, then=Uncertain("no answer")))

    async def given_up() -> bool:
        await b_worker.run_once(CITIZEN_LANE)
        return await b.outbox.counts() == {"undeliverable": 1}

    await until(given_up)
    assert received == [("c1", "one")]


@pytest.mark.parametrize("key", [0x1234_5678_9ABC_DEF0, -0x1234_5678_9ABC_DEF0])
async def test_a_live_slow_sender_keeps_its_messages(two_processes: tuple[Storage, Storage],
                                                     monkeypatch: pytest.MonkeyPatch, key: int) -> None:
    a, b = two_processes
    keys = itertools.chain([key], itertools.count(1))  # A claims first, under `key` (either sign)
    monkeypatch.setattr(pg_locks, "random_key", lambda: next(keys))
    monkeypatch.setattr(pg_coordination, "RECLAIM_EVERY", 0.0)  # B looks for dead claimers on every claim
    for n in range(3):
        await a.outbox.enqueue("console", f"chat{n}", "note", f"m{n}")
    received: Received = []
    gate = asyncio.Event()
    slow = asyncio.create_task(worker(a, recorder(received, gate)).run_once(CITIZEN_LANE))

    async def all_in_flight() -> bool:
        return len(received) == 3

    await until(all_in_flight)
    b_worker = worker(b, recorder(received))
    for _ in range(5):
        assert await b_worker.run_once(CITIZEN_LANE) == 0
    gate.set()
    assert await slow == 3
    assert await b_worker.run_once(CITIZEN_LANE) == 0
    assert sorted(received) == [(f"chat{n}", f"m{n}") for n in range(3)]
    assert await b.outbox.counts() == {"sent": 3}


async def test_a_process_that_loses_its_lock_connection_sends_only_what_was_in_flight(
        two_processes: tuple[Storage, Storage]) -> None:
    a, b = two_processes
    total = CONCURRENT_SENDS + 2
    for n in range(total):
        await a.outbox.enqueue("console", f"chat{n}", "note", f"m{n}")
    received: Received = []
    gate = asyncio.Event()
    # The platform takes each message but A hears back only a network error once the gate opens.
    run = asyncio.create_task(worker(a, recorder(received, gate, ConnectionError("reset"))).run_once(CITIZEN_LANE))

    async def all_in_flight() -> bool:
        return len(received) == CONCURRENT_SENDS

    await until(all_in_flight)
    in_flight = set(received)
    a.coordination.terminate()  # A lives on, but the server has released its claims
    await drain(b, recorder(received), total)
    gate.set()
    assert await run == 0
    await drain(b, recorder(received), total)  # A's late failures did not make them due again
    await drain(a, recorder(received), total)
    assert {(f"chat{n}", f"m{n}") for n in range(total)} == set(received)
    for message in set(received):
        assert received.count(message) == (2 if message in in_flight else 1)
