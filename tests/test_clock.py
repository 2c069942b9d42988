"""Time passes through the one injected clock: data ages, limits lapse and dated things turn when a test moves a
FixedClock forward, never by sleeping or patching the time module."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.engine.guard import flood_guard
from bot.engine.router import Router
from bot.engine.services import Services, open_services
from bot.kernel.clock import SYSTEM, FixedClock, vn_moment, vn_today
from bot.kernel.config import Config
from handlers.routes import ROUTES
from tests.conftest import admin, citizen, event_for, say
from tests.pinned import AFTER, BEFORE
from tests.test_answer_what_asked import everywhere

CAUTION = "Thông tin này có thể đã thay đổi từ 01/01/2027"
LIMITED = "Bạn gửi tin nhắn quá nhanh"
DAY = 86400


@pytest.fixture
async def on_clock(config: Config) -> AsyncIterator[Callable[..., Awaitable[Services]]]:
    """Opens services wired to a given clock (and settings); closes them at the end of the test."""
    opened: list[Services] = []

    async def open_on(clock: FixedClock, **settings: object) -> Services:
        services = await open_services(dataclasses.replace(config, **settings), clock=clock)
        opened.append(services)
        return services

    yield open_on
    for services in opened:
        await services.close()


def test_a_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(vn_moment(BEFORE))
    assert vn_today(clock) == BEFORE and clock.now() == clock.now()
    clock.advance(2 * DAY)
    assert vn_today(clock) == AFTER


async def test_an_answered_ticket_is_erased_once_the_clock_passes_the_retention_period(on_clock) -> None:
    clock = FixedClock(SYSTEM.now())  # starts at the machine's time: rows stamped by either clock age alike
    services = await on_clock(clock, retention_days=30)
    ticket = (await say(services, citizen(1), "cấp phép bay flycam quay phim đám cưới")).diagnosis.ticket_id
    await services.admin.answer(admin(), ticket, "Liên hệ Sở Văn hóa, Thể thao và Du lịch.")
    clock.advance(29 * DAY)
    assert await services.purge_expired() == 0  # within the period: kept
    assert f"#{ticket}" in (await services.citizen.my_tickets(citizen(1))).text
    clock.advance(2 * DAY)
    assert await services.purge_expired() >= 2  # the question and the ticket
    assert f"#{ticket}" not in (await services.citizen.my_tickets(citizen(1))).text


async def test_a_flooding_citizen_may_write_again_once_the_clock_moved_a_minute(on_clock) -> None:
    clock, person = FixedClock(), citizen(2, "telegram")  # the console is trusted: no flood limit there
    services = await on_clock(clock, rate_limit_per_minute=3)
    router = Router(services, ROUTES, flood_guard(services.storage, 3))
    replies = [await router.handle(event_for(person, f"làm hộ chiếu ở đâu {n}")) for n in range(5)]
    assert all(r is not None and LIMITED not in r.text for r in replies[:3])
    assert replies[3] is not None and LIMITED in replies[3].text and replies[4] is None  # told once, then ignored
    clock.advance(30)
    assert await router.handle(event_for(person, "làm hộ chiếu ở đâu")) is None  # still within the minute
    clock.advance(31)
    again = await router.handle(event_for(person, "làm hộ chiếu ở đâu"))
    assert again is not None and LIMITED not in again.text


async def test_a_dated_change_turns_on_the_clocks_day_without_a_restart(on_clock) -> None:
    clock = FixedClock(vn_moment(BEFORE))
    services = await on_clock(clock)
    before = await say(services, citizen(3), "cấp lại căn cước bị mất hết bao nhiêu tiền")
    assert before.diagnosis.topic == "can-cuoc" and not everywhere(before, CAUTION)
    clock.advance(2 * DAY)
    after = await say(services, citizen(4), "cấp lại căn cước bị mất hết bao nhiêu tiền")
    assert after.diagnosis.topic == "can-cuoc" and everywhere(after, CAUTION, "Lệ phí")


async def test_the_survey_is_offered_again_once_the_clock_passed_its_interval(on_clock) -> None:
    clock = FixedClock(vn_moment(dt.date(2026, 3, 14)))
    services = await on_clock(clock)
    for text in ("/danhgia", "1", "2", "4", "Dừng"):
        await say(services, citizen(5), text)
    clock.advance(29 * DAY)
    again = await say(services, citizen(5), "/danhgia")
    assert "đánh giá lại từ ngày 13/04/2026" in again.text and not again.buttons
    clock.advance(DAY)
    assert "Câu 1." in (await say(services, citizen(5), "/danhgia")).text
