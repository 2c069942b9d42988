"""Several processes on one PostgreSQL database: one flood limit per citizen, a quick polling takeover."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from telegram.ext import AIORateLimiter

from bot.engine.guard import DROP, OK, WARN, FloodGuard, SharedFloodGuard, flood_guard
from bot.engine.router import Router
from bot.engine.services import Services, open_services
from bot.kernel.config import load_config
from bot.kernel.events import MESSAGE, Event
from bot.store.lease import poll_lease
from bot.store.storage import Storage
from channels.telegram.limiter import SCHEDULE, SharedRateLimiter
from handlers.routes import ROUTES
from tests.pgserver import PgServer

LIMITED = "Bạn gửi tin nhắn quá nhanh"


@pytest.fixture
async def pg_url(pg_server: PgServer) -> AsyncIterator[str]:
    """A fresh database."""
    url = pg_server.create_database()
    yield url
    pg_server.drop_database(url)


@pytest.fixture
async def two_services(pg_url: str, knowledge_copy: Path, tmp_path: Path) -> AsyncIterator[list[Services]]:
    """The services of two processes sharing the database."""
    config = load_config({}, db_url=pg_url, knowledge_dir=knowledge_copy, data_dir=tmp_path / "data",
                         rate_limit_per_minute=3)
    both = [await open_services(config), await open_services(config)]
    yield both
    for services in both:
        await services.close()


def _message(user: str, n: int) -> Event:
    return Event("telegram", user, user, MESSAGE, text=f"xin chào lần {n}", update_id=f"{user}-{n}", private=True)


async def test_a_citizen_spreading_messages_over_processes_meets_one_limit(two_services: list[Services]) -> None:
    routers = [Router(s, ROUTES, flood_guard(s.storage, s.config.rate_limit_per_minute)) for s in two_services]
    replies = [await routers[n % 2].handle(_message("5", n)) for n in range(8)]
    assert all(r is not None and LIMITED not in r.text for r in replies[:3])
    assert replies[3] is not None and LIMITED in replies[3].text  # told once, by whichever process
    assert replies[4:] == [None] * 4  # then ignored by both
    other = await routers[1].handle(_message("6", 0))
    assert other is not None and LIMITED not in other.text  # another citizen is unaffected


async def test_the_window_passes_and_its_row_is_purged(pg_url: str) -> None:
    first, second = await Storage.open(pg_url), await Storage.open(pg_url)
    try:
        guards = [SharedFloodGuard(first.limits, 2, window=0.5), SharedFloodGuard(second.limits, 2, window=0.5)]
        verdicts = [await guards[n % 2].verdict("zalo_oa", "9") for n in range(5)]
        assert verdicts == [OK, OK, WARN, DROP, DROP]
        await asyncio.sleep(0.6)
        assert await guards[1].verdict("zalo_oa", "9") == OK  # a new window
        await asyncio.sleep(0.6)
        await guards[0].tidy()
        assert await first.database.value("SELECT count(*) FROM flood_windows") == 0
    finally:
        await first.close()
        await second.close()


async def test_one_process_keeps_its_flood_limit_in_memory(tmp_path: Path) -> None:
    storage = await Storage.open(tmp_path / "db.sqlite")
    try:
        guard = flood_guard(storage, 2)
        assert isinstance(guard, FloodGuard)
        assert [await guard.verdict("telegram", "1") for _ in range(4)] == [OK, OK, WARN, DROP]
        assert await storage.limits.flood_hit("telegram", "1", 60.0) == 1  # the table is there, unused by one process
    finally:
        await storage.close()


async def _takes_over(storage: Storage, name: str) -> bool:
    """Whether `storage` gets the polling lock once the server has noticed the holder's death."""
    for _ in range(100):
        if await poll_lease(storage, name):
            return True
        await asyncio.sleep(0.05)
    return False


async def test_a_standby_takes_over_polling_when_the_holder_dies(pg_url: str) -> None:
    holder, standby = await Storage.open(pg_url), await Storage.open(pg_url)
    try:
        assert await poll_lease(holder, "poll:telegram")
        assert not await poll_lease(standby, "poll:telegram")  # one poller at a time
        assert await poll_lease(holder, "poll:telegram")  # kept
        assert await poll_lease(standby, "poll:zalo_bot")  # each platform its own lock
        holder.coordination.terminate()  # the holder's process dies: its connection drops without a goodbye
        assert await _takes_over(standby, "poll:telegram")
        assert not await poll_lease(holder, "poll:telegram")  # a holder that lost its connection stands by
    finally:
        await holder.close()
        await standby.close()


async def test_a_restarted_process_does_not_wait_out_its_predecessor(pg_url: str) -> None:
    before = await Storage.open(pg_url)
    assert await poll_lease(before, "poll:telegram")
    conn = await asyncpg.connect(pg_url)
    try:  # the process is killed: the server ends its session
        await conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid != pg_backend_pid()"
                           " AND datname = current_database() AND query LIKE '%pg_try_advisory_lock%'")
    finally:
        await conn.close()
    after = await Storage.open(pg_url)
    try:
        assert await _takes_over(after, "poll:telegram")
    finally:
        await after.close()
        before.coordination.terminate()
        await before.close()


async def test_processes_share_the_bots_send_schedule(two_services: list[Services]) -> None:
    first, second = (s.storage for s in two_services)
    now, interval = 1_000_000.0, 1.0 / 30
    # 90 sends asked for at the same instant, alternately by two processes: 30 go at once (one second's
    # burst after a quiet spell), the rest wait their turn, one thirtieth of a second apart across both.
    waits = [await (first, second)[n % 2].limits.send_slot("telegram", interval, 1.0, now=now) for n in range(90)]
    assert waits.count(0.0) == 30
    assert waits == sorted(waits)
    assert all(abs(b - a - interval) < 1e-6 for a, b in itertools.pairwise(waits[29:]))
    assert abs(waits[-1] - 60 * interval) < 1e-6  # the 90th goes two seconds later
    # A quiet spell later the burst is available again.
    assert await first.limits.send_slot("telegram", interval, 1.0, now=now + 10) == 0.0


async def test_telegram_calls_that_send_take_a_slot_and_fetching_updates_does_not(
        two_services: list[Services]) -> None:
    storage = two_services[0].storage
    taken: list[float] = []

    class Recorded:
        """The real schedule, remembering each wait it handed out."""

        async def send_slot(self, name: str, interval: float, burst: float, now: float | None = None) -> float:
            taken.append(await storage.limits.send_slot(name, interval, burst, now))
            return taken[-1]

    limiter = SharedRateLimiter(Recorded(), AIORateLimiter(max_retries=0))
    await limiter.initialize()
    ran: list[str] = []

    async def call(endpoint: str) -> bool:
        ran.append(endpoint)
        return True

    try:
        for endpoint in ("sendMessage", "getUpdates", "sendMessage", "answerCallbackQuery"):
            assert await limiter.process_request(call, (endpoint,), {}, endpoint, {}, None) is True
    finally:
        await limiter.shutdown()
    assert ran == ["sendMessage", "getUpdates", "sendMessage", "answerCallbackQuery"]
    assert taken == [0.0, 0.0, 0.0]  # three sends, inside the burst; getUpdates took no slot
    assert await storage.database.value("SELECT count(*) FROM rate_slots WHERE name = ?", (SCHEDULE,)) == 1
