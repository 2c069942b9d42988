"""The web console says when nothing delivers: no `papibot run` seen in the last minute, none with a channel,
or none on the channel of a ticket whose answer waits (the heartbeat every delivering process writes)."""

from __future__ import annotations

import time

from bot.engine.services import Services
from bot.store.heartbeat import BEAT_TTL
from bot.usecases.outcomes import succeeded
from tests.conftest import admin, citizen
from tests.webkit import add_accounts, client, login

BOTH_BACKENDS = True
NOT_RUNNING = "Không có tiến trình «papibot run» nào đang chạy"
NO_CHANNEL = "chưa cấu hình kênh nào"


async def _answered_ticket(services: Services, channel: str) -> int:
    asked = await services.citizen.ask(citizen(5, channel), "cấp phép bay flycam quay phim đám cưới")
    ticket = asked.diagnosis.ticket_id
    assert ticket is not None
    assert succeeded(await services.admin.answer(admin(), ticket, "Liên hệ Sở Xây dựng."))
    return ticket


async def test_the_inbox_says_when_no_papibot_run_delivers(services: Services) -> None:
    await add_accounts(services)
    async with client(services) as web:
        await login(web, "lan")
        page = (await web.get("/inbox")).text
        assert NOT_RUNNING in page and "chưa thấy lần nào" in page
        await services.storage.heartbeat.beat("run:host:1", (), time.time())
        assert NO_CHANNEL in (await web.get("/inbox")).text
        await services.storage.heartbeat.beat("run:host:1", ("telegram",), time.time())
        page = (await web.get("/inbox")).text
        assert NOT_RUNNING not in page and NO_CHANNEL not in page
        await services.storage.heartbeat.beat("run:host:1", ("telegram",), time.time() - BEAT_TTL - 5)  # a minute ago
        page = (await web.get("/inbox")).text
        assert NOT_RUNNING in page and "lần cuối thấy lúc" in page
        await services.storage.heartbeat.stop("run:host:1")
        await services.storage.heartbeat.beat("run:host:2", ("console",), time.time())  # a console chat only
        assert NO_CHANNEL in (await web.get("/inbox")).text


async def test_a_waiting_answer_says_its_channel_has_no_delivering_process(services: Services) -> None:
    await add_accounts(services)
    ticket = await _answered_ticket(services, "zalo_oa")
    async with client(services) as web:
        await login(web, "lan")
        page = (await web.get(f"/inbox/{ticket}")).text
        assert "đang chờ gửi" in page and NOT_RUNNING in page
        await services.storage.heartbeat.beat("run:host:1", ("telegram",), time.time())
        page = (await web.get(f"/inbox/{ticket}")).text
        assert "đang gửi tin trên kênh Zalo OA" in page
        assert "đang gửi tin trên kênh" not in (await web.get("/inbox")).text  # Telegram runs: the inbox is calm
        await services.storage.heartbeat.beat("run:host:2", ("zalo_oa",), time.time())
        page = (await web.get(f"/inbox/{ticket}")).text
        assert "đang chờ gửi" in page and "đang gửi tin trên kênh" not in page and NOT_RUNNING not in page
