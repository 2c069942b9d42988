"""Privacy as people meet it: promotion that never publishes a citizen's words, the notice, /baomat, /id."""

from __future__ import annotations

from bot.engine.guard import FloodGuard
from bot.engine.router import Router
from bot.engine.services import Services
from bot.kernel.events import FOLLOW, Event
from bot.kernel.models import CITIZEN, User
from bot.usecases.outcomes import PersonalData, succeeded
from handlers.routes import ROUTES
from tests.conftest import admin, citizen, say

ASKED = ("Tôi là Lò Thị Mai, SĐT 0912345678, CCCD 014190001234, nhà em ở bản Hua La muốn xin phép bay "
         "flycam quay phim đám cưới thì làm thế nào")


async def test_promotion_never_publishes_a_citizens_personal_data(services: Services) -> None:
    number = (await say(services, citizen(5), ASKED)).diagnosis.ticket_id
    await services.admin.answer(admin(), number, "Cần xin phép Cục Tác chiến, Bộ Quốc phòng trước khi bay.")
    alone = await say(services, admin(), f"/promote {number}")
    assert alone.alert and "--new --title" in alone.text  # /promote N alone is refused with the way forward
    refused = await say(services, admin(), f"/promote {number} tra-cuu-thu-tuc")
    assert refused.alert
    for found in ("0912345678", "014190001234", "Lò Thị Mai"):
        assert found in refused.text  # the officer is shown what to edit
    new = await services.admin.promote_new(admin(), number or 0, "Xin phép bay flycam của Lò Thị Mai")
    assert isinstance(new, PersonalData)  # a title with a name is refused too
    assert await services.storage.database.value("SELECT count(*) FROM learned_items") == 0  # nothing stored yet
    edited = "xin phép bay flycam quay phim đám cưới thì làm thế nào"
    assert succeeded(await services.admin.promote(admin(), number or 0, "tra-cuu-thu-tuc", edited))
    reply = await say(services, citizen(6), "xin phép bay flycam quay phim đám cưới")
    assert reply.diagnosis.topic == "tra-cuu-thu-tuc"
    stored = " ".join(str(r[0]) for r in await services.storage.database.all("SELECT body FROM learned_items"))
    assert edited in stored
    for private in ("Lò Thị Mai", "0912345678", "014190001234", "Hua La"):
        assert private not in reply.text and private not in stored


async def test_the_privacy_notice_comes_once_on_every_channel(services: Services) -> None:
    router = Router(services, ROUTES, FloodGuard(0))
    for channel in ("telegram", "zalo_oa", "zalo_bot", "web"):
        first = await router.handle(Event(channel, "77", "77", text="làm hộ chiếu ở đâu"))
        second = await router.handle(Event(channel, "77", "77", text="đăng ký khai sinh"))
        assert first is not None and second is not None
        assert "Nghị định 13/2023/NĐ-CP" in first.text and "/xoadulieu" in first.text
        assert "Nghị định 13/2023/NĐ-CP" not in second.text  # once, not on every reply
    followed = await router.handle(Event("zalo_oa", "78", "78", kind=FOLLOW))
    assert followed is not None and "/baomat" in followed.text
    again = await router.handle(Event("zalo_oa", "78", "78", text="/baomat"))
    assert again is not None and "365 ngày" in again.text


async def test_everyone_can_see_their_own_id_in_a_private_chat(services: Services) -> None:
    router = Router(services, ROUTES, FloodGuard(0))
    mine = await router.handle(Event("zalo_oa", "8421097412338840001", "8421097412338840001", text="/id"))
    assert mine is not None and "zalo_oa:8421097412338840001" in mine.text
    group = await router.handle(Event("telegram", "5", "-100777", text="/id", private=False))
    assert group is not None and "telegram:5" not in group.text
    console = await say(services, User("console", "3", "3", "", CITIZEN), "/id")
    assert "console:3" in console.text
