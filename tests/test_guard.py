"""Floods, personal data in logs, redelivered updates and retention."""

from __future__ import annotations

import dataclasses
import logging
import time

import pytest

from bot.engine.guard import DROP, OK, WARN, FloodGuard, MaskingFilter, mask
from bot.engine.router import Router
from bot.kernel.clock import FixedClock
from bot.kernel.events import Event
from bot.store.storage import AlreadyProcessed, Turn
from handlers.routes import ROUTES
from tests.conftest import citizen


def test_flood_guard_tells_once_then_ignores_and_spares_others() -> None:
    clock = FixedClock()
    guard = FloodGuard(per_minute=20, clock=clock)
    verdicts = []
    for _ in range(500):
        verdicts.append(guard.check("telegram", "1"))
        clock.advance(0.01)
    assert verdicts[:20] == [OK] * 20 and verdicts[20] == WARN and set(verdicts[21:]) == {DROP}
    assert guard.check("telegram", "2") == OK  # another citizen is unaffected
    clock.advance(56.0)
    assert guard.check("telegram", "1") == OK  # the window passed


def test_flood_guard_forgets_idle_users() -> None:
    clock = FixedClock()
    guard = FloodGuard(per_minute=5, clock=clock)
    for user in range(100):
        guard.check("telegram", str(user))
    clock.advance(120.0)
    guard.forget_idle()
    assert guard._seen == {}


@pytest.mark.parametrize(("raw", "hidden"), [
    ("gọi cho tôi 0912345678 nhé", "0912345678"),
    ("số +84912345678", "84912345678"),
    ("căn cước 012345678901", "012345678901"),
    ("cmnd 123456789 bị mất", "123456789"),
])
def test_personal_numbers_are_masked(raw: str, hidden: str) -> None:
    assert hidden not in mask(raw)


def test_log_records_lose_token_and_phone_numbers(caplog: pytest.LogCaptureFixture) -> None:
    token = "123456:ABC-secret-token"
    log = logging.getLogger("papibot.test")
    log.addFilter(MaskingFilter((token,)))
    with caplog.at_level(logging.INFO):
        log.info("POST https://api.telegram.org/bot%s/sendMessage for %s", token, "0987654321")
        try:
            raise RuntimeError(f"failed with bot{token}")
        except RuntimeError:
            log.exception("boom")
    text = caplog.text + "".join(r.exc_text or "" for r in caplog.records)
    assert token not in text and "0987654321" not in text and "***" in text


async def test_a_redelivered_update_creates_nothing_twice(services) -> None:
    router = Router(services, ROUTES, FloodGuard(20))
    event = Event("telegram", "42", "42", text="cấp phép bay flycam quay phim đám cưới", update_id="1001")
    first = await router.handle(event)
    assert first is not None and first.diagnosis.ticket_id == 1
    assert await services.storage.database.processed("telegram", "1001")
    assert await router.handle(event) is None  # redelivered after a crash: nothing said, nothing stored
    with pytest.raises(AlreadyProcessed):
        await services.storage.questions.log(citizen(), "x", "answer", None, 0.0, Turn("telegram", "1001"))
    assert (await services.storage.tickets.stats()).received == 1
    row = await services.storage.database.one("SELECT count(*) FROM questions")
    assert row[0] == 1  # the rolled-back redelivery left no trace
    # The same update id on another channel is another update.
    assert await router.handle(dataclasses.replace(event, channel="zalo_bot")) is not None


async def test_retention_purge_keeps_pending_tickets(services) -> None:
    await services.citizen.ask(citizen(1), "cấp phép bay flycam quay phim đám cưới")
    await services.citizen.ask(citizen(2), "làm giấy khai sinh cho con")
    removed = await services.storage.retention.purge(time.time() + 1)
    assert removed == 2  # both question-log rows; the pending ticket stays until answered
    assert len(await services.storage.tickets.of("console", 1)) == 1
