"""Faults an unlucky operator meets: a full disk, a deleted database, SIGTERM while Telegram is unreachable,
hostile webhook bodies, and a flood of identical errors."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import time
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.engine.delivery import wait_delivered
from bot.engine.services import open_services
from bot.kernel.clock import FixedClock
from bot.kernel.config import load_config
from bot.store import sqlite_thread
from bot.usecases.notify import ERROR_QUIET
from channels.http import build_app
from channels.telegram import TelegramChannel
from tests.fakebotapi import FakeBotAPI
from tests.fakezalo import FakeZaloOA
from tests.procs import SECRET as PROCS_SECRET
from tests.procs import TELEGRAM_PATH, ZALO_PATH, BotProcess, bot_env, free_port
from tests.stack import Stack, long_polling, running
from tests.test_telegram_e2e import ADMIN_CHAT, _start, _stop, _wait_ready
from tests.waiting import until

SECRET = "hook-secret-1"


@pytest.fixture
def fake() -> Any:
    with FakeBotAPI() as api:
        yield api


@pytest.fixture
async def polling(fake: FakeBotAPI, tmp_path: Path) -> AsyncIterator[Stack]:
    config = load_config({}, telegram_token=fake.token, telegram_api=fake.url, db_path=tmp_path / "db.sqlite",
                         admin_chat_id=f"telegram:{ADMIN_CHAT}", rate_limit_per_minute=0)
    async with long_polling(config, TelegramChannel) as stack:
        yield stack


async def test_a_full_disk_holds_updates_and_tells_each_person_once(polling: Stack, fake: FakeBotAPI,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    storage, alerts = polling.services.storage, []
    polling.core.on_outage = lambda text: _record(alerts, text)
    commit = sqlite_thread.commit
    full = True

    def failing_commit(connection: sqlite3.Connection) -> None:  # the one edge a test cannot reach for
        if full:  # real: the disk (the storage's writer is the one connection that commits here)
            raise sqlite3.OperationalError("database or disk is full")
        commit(connection)

    monkeypatch.setattr(sqlite_thread, "commit", failing_commit)
    ids = [fake.inject_message(user, text)
           for user, text in ((71, "làm hộ chiếu ở đâu"), (72, "đăng ký khai sinh"), (71, "cấp lại căn cước"))]

    def told(user: int) -> int:
        return len([m for m in fake.sent(user) if "sự cố lưu trữ" in m["text"]])

    await until(lambda: told(71) and told(72), timeout=10, what="each person told of the incident")
    polls = fake.calls.count("getUpdates")
    await until(lambda: fake.calls.count("getUpdates") >= polls + 2, timeout=15, what="the held batch came again")
    assert (fake.confirmed_offset or 0) <= ids[0]  # nothing confirmed to Telegram: it will all come again
    assert [told(71), told(72)] == [1, 1]  # once per incident, not at every retry
    assert len(alerts) == 1
    full = False  # the operator frees space: everything held is answered, once
    await fake.wait_for_async(lambda m: m["chat_id"] == 71 and "căn cước" in m["text"], timeout=40)
    await fake.wait_for_async(lambda m: m["chat_id"] == 72 and "khai sinh" in m["text"], timeout=10)
    await until(lambda: fake.confirmed_offset > ids[-1], what="every update handled and confirmed")
    assert await wait_delivered(storage)  # and every reply out: nothing more can come
    assert len([m for m in fake.sent(72) if "Đăng ký khai sinh" in m["text"]]) == 1


async def _record(alerts: list[str], text: str) -> None:
    alerts.append(text)


def test_a_deleted_database_stops_the_bot_and_alerts_the_officers(tmp_path: Path) -> None:
    with FakeBotAPI() as fake:
        proc, log = _start(fake, tmp_path)
        _wait_ready(fake, proc, log, "getUpdates")
        for name in ("db.sqlite", "db.sqlite-wal", "db.sqlite-shm"):
            (tmp_path / name).unlink(missing_ok=True)
        assert proc.wait(15) == 3  # a service manager sees the failure
        alert = fake.wait_for(lambda m: m["chat_id"] == ADMIN_CHAT and "bị xóa" in m["text"], timeout=5)
        assert "sao lưu" in alert["text"]
    assert "deleted or replaced" in log.read_text()


def test_sigterm_is_obeyed_while_the_bot_api_is_unreachable(tmp_path: Path) -> None:
    fake = FakeBotAPI().start()
    proc, log = _start(fake, tmp_path)
    try:
        _wait_ready(fake, proc, log, "getUpdates")
        fake.stop()  # Telegram unreachable: the poller backs off
        time.sleep(4)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert time.monotonic() - started < 5
    finally:
        if proc.poll() is None:
            _stop(proc)


@pytest.fixture
async def webhook(fake: FakeBotAPI, tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Stack]]:
    config = load_config({}, telegram_token=fake.token, telegram_api=fake.url, db_path=tmp_path / "db.sqlite",
                         admin_chat_id=f"telegram:{ADMIN_CHAT}", webhook_url="https://bot.example/telegram/webhook",
                         webhook_secret=SECRET)
    async with running(config, TelegramChannel) as stack:
        app = build_app(stack.channel.routes(), lambda: _healthy())
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://papibot") as client:
            yield client, stack


async def _healthy() -> tuple[bool, dict[str, Any]]:
    return True, {}


async def test_webhook_checks_the_secret_before_reading_a_huge_body(webhook: Any) -> None:
    client, _ = webhook
    read = 0

    async def sixty_megabytes() -> AsyncGenerator[bytes, None]:
        nonlocal read
        for _ in range(60):
            read += 1
            yield b"x" * (1024 * 1024)

    response = await client.post("/telegram/webhook", content=sixty_megabytes())
    assert response.status_code == 403 and read <= 2  # refused without reading the body
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    big = await client.post("/telegram/webhook", content=b"{" + b" " * (2 * 1024 * 1024) + b"}", headers=headers)
    assert big.status_code == 413


@pytest.mark.parametrize(("body", "status"), [
    (b"[]", 400), (b"null", 400), (b'"x"', 400), (b"5", 400), (b"[" * 100_000 + b"]" * 100_000, 400),
    (b"not json", 400), (b'{"update_id": "12"}', 400), (json.dumps({"update_id": 2**70}).encode(), 400),
    (b'{"update_id": -1}', 400), (b'{"update_id": 7}', 200),
    (b'{"update_id": 8, "some_future_kind": {"x": 1}}', 200),
])
async def test_webhook_validates_at_the_edge_and_never_alarms_the_officers(webhook: Any, body: bytes,
                                                                           status: int) -> None:
    client, stack = webhook
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    assert (await client.post("/telegram/webhook", content=body, headers=headers)).status_code == status
    assert await stack.services.storage.outbox.counts() == {}  # no error notice queued for the officers


async def test_error_notices_are_rate_limited_with_a_count(fake: FakeBotAPI, tmp_path: Path) -> None:
    clock = FixedClock()
    config = load_config({}, telegram_token=fake.token, telegram_api=fake.url, db_path=tmp_path / "db.sqlite",
                         admin_chat_id=f"telegram:{ADMIN_CHAT}")
    services = await open_services(config, clock=clock)
    officers, storage = services.officers, services.storage
    try:
        for _ in range(5):
            await officers.error(ValueError("boom"), "bot.usecases.citizen")
        await officers.error(KeyError("other"), "bot.usecases.citizen")  # another kind of error: reported on its own
        count = "SELECT count(*) FROM outbox WHERE kind = 'error'"
        assert await storage.database.value(count) == 2
        clock.advance(ERROR_QUIET + 1)
        await officers.error(ValueError("boom"), "bot.usecases.citizen")
        rows = await storage.database.all("SELECT text FROM outbox WHERE kind = 'error' ORDER BY id")
        assert len(rows) == 3 and "4 lần lặp lại" in rows[-1][0]
    finally:
        await services.close()


def test_debug_logs_hold_no_names_numbers_or_questions(tmp_path: Path) -> None:
    with FakeBotAPI() as fake:
        proc, log = _start(fake, tmp_path)  # started with -v (debug)
        try:
            _wait_ready(fake, proc, log, "getUpdates")
            fake.inject_message(301, "Tôi là Lò Thị Mai, số 0912 345 678, xin cấp phép bay flycam", first_name="Mai")
            fake.wait_for(lambda m: m["chat_id"] == 301 and "#1" in m["text"], timeout=15)
        finally:
            _stop(proc)
    text = log.read_text()
    for secret in ("Lò Thị Mai", "0912 345 678", "0912345678", "flycam", fake.token):
        assert secret not in text, secret
    assert os.path.getsize(log) > 0


async def test_webhooks_answer_503_from_the_moment_the_database_file_is_deleted(tmp_path: Path) -> None:
    question = "cấp phép bay flycam quay phim đám cưới"
    with FakeBotAPI() as tg, FakeZaloOA() as oa:
        env = {**bot_env(tg, oa, str(tmp_path / "papibot.db"), tmp_path, free_port()),
               "PAPIBOT_ADMIN_CHAT_ID": f"telegram:{ADMIN_CHAT}"}
        bot = BotProcess(env, tmp_path / "bot.log").start()
        try:
            await bot.ready()
            async with httpx.AsyncClient(timeout=10) as client:
                assert await _telegram_says(client, bot.port, tg, 71, question) == 200
                await tg.wait_for_async(lambda m: m["chat_id"] == ADMIN_CHAT and question in m["text"], timeout=15)
                for name in ("papibot.db", "papibot.db-wal", "papibot.db-shm"):  # an operator's rm, while it runs
                    (tmp_path / name).unlink(missing_ok=True)
                statuses = [await _telegram_says(client, bot.port, tg, 72, f"{question} ở xã Hua La"),
                            await _zalo_says(client, bot.port, oa, "8421097412338840001", f"{question} bản Mồ")]
            assert statuses == [503, 503], bot.tail()  # at once, not after the watcher's next look: redelivered
            assert await asyncio.to_thread(bot.proc.wait, 15) == 3  # type: ignore[union-attr]
        finally:
            bot.stop(5)
        announced = [m for m in tg.sent(ADMIN_CHAT) if question in m["text"]]
        assert len(announced) == 1  # only the ticket stored before the deletion: none to be lost with the file
        assert not any("#" in m["text"] for m in tg.sent(72))  # no citizen is given a number that is then lost
        assert not any("#" in m["text"] for m in oa.messages)


async def _telegram_says(client: httpx.AsyncClient, port: int, tg: FakeBotAPI, user: int, text: str) -> int:
    uid = tg.inject_message(user, text)
    with tg.cond:  # the update as Telegram would POST it to the webhook
        body = json.dumps(tg._history[uid]).encode()
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": PROCS_SECRET}
    return (await client.post(f"http://127.0.0.1:{port}{TELEGRAM_PATH}", content=body, headers=headers)).status_code


async def _zalo_says(client: httpx.AsyncClient, port: int, oa: FakeZaloOA, user: str, text: str) -> int:
    event = oa.text_event(user, text)
    oa.user_wrote(user, msg_id=event["message"]["msg_id"])
    body = json.dumps(event, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "X-ZEvent-Signature": f"mac={oa.sign(body, event['timestamp'])}"}
    return (await client.post(f"http://127.0.0.1:{port}{ZALO_PATH}", content=body, headers=headers)).status_code
