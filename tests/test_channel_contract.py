"""The channel contract: the same scenarios, as users would live them, on every channel adapter.

A new channel joins by adding a driver (tests/contract_drivers.py) and one entry to CHANNELS.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.kernel.config import load_config
from channels.base import ChannelContext
from channels.telegram import TelegramChannel
from tests.contract_drivers import (
    ADMIN_ID,
    STAFF_ID,
    ConsoleDriver,
    RecordingPlainSender,
    TelegramDriver,
    ZaloBotDriver,
    ZaloOADriver,
)
from tests.fakebotapi import FakeBotAPI
from tests.fakezalo import FakeZaloBot, FakeZaloOA
from tests.stack import running
from tests.zalo_stack import bot_serving, oa_config, oa_serving

CHANNELS = ["telegram", "console", "zalo_oa", "zalo_bot"]
TEXT_ONLY = ["console", "zalo_oa", "zalo_bot"]
UNKNOWN = "cấp phép bay flycam quay phim đám cưới"
ALICE, BOB = 42, 43
BOTH_BACKENDS = True  # every scenario on SQLite and on PostgreSQL


class _PlainChannel:
    """A text-only channel with no platform behind it (the console's rendering, recorded per chat)."""

    name = "console"

    def __init__(self, context: ChannelContext) -> None:
        self.sender = RecordingPlainSender("console")

    async def start(self) -> None:
        """Nothing to connect to."""

    async def close(self) -> None:
        """Nothing to release."""


@pytest.fixture(params=CHANNELS)
async def chat(request: pytest.FixtureRequest, tmp_path: Path, knowledge_copy: Path,
               db_url: str) -> AsyncIterator[Any]:
    base = {"db_path": tmp_path / "db.sqlite", "db_url": db_url, "knowledge_dir": knowledge_copy,
            "rate_limit_per_minute": 0}
    if request.param == "telegram":
        with FakeBotAPI() as fake:
            config = load_config({}, telegram_token=fake.token, telegram_api=fake.url,
                                 admin_ids=frozenset({f"telegram:{ADMIN_ID}"}),
                                 staff_ids=frozenset({f"telegram:{STAFF_ID}"}), **base)
            async with running(config, TelegramChannel, deliver=False) as stack:
                yield TelegramDriver(stack, fake)
    elif request.param == "zalo_oa":
        with FakeZaloOA() as fake:
            config = oa_config(fake, tmp_path, admin_ids=frozenset({f"zalo_oa:{ADMIN_ID}"}),
                               staff_ids=frozenset({f"zalo_oa:{STAFF_ID}"}), admin_chat_id=None, **base)
            async with oa_serving(config) as served:
                yield ZaloOADriver(served.stack, fake, served.url)
    elif request.param == "zalo_bot":
        with FakeZaloBot() as fake:
            config = load_config({}, zalo_bot_token=fake.token, zalo_bot_api=fake.url,
                                 admin_ids=frozenset({f"zalo_bot:{ADMIN_ID}"}),
                                 staff_ids=frozenset({f"zalo_bot:{STAFF_ID}"}), **base)
            async with bot_serving(config) as served:
                yield ZaloBotDriver(served.stack, fake)
    else:
        async with running(load_config({}, **base), _PlainChannel, deliver=False) as stack:
            yield ConsoleDriver(stack)


def ticket_number(text: str) -> int:
    found = re.search(r"#(\d+)", text)
    assert found, text
    return int(found[1])


async def test_a_question_is_answered(chat: Any) -> None:
    reply = await chat.say(ALICE, "lam lai can cuoc bi mat o dau")
    assert "thẻ căn cước" in reply
    assert "Căn cứ" in await chat.press(ALICE, "Căn cứ pháp lý")  # offered: a button, or behind «Xem thêm»


async def test_suggestions_then_a_pick(chat: Any) -> None:
    reply = await chat.say(ALICE, "thu tuc dat dai")
    assert "Gửi câu hỏi cho cán bộ" in reply  # suggestions always offer an officer
    title = "Cấp giấy chứng nhận quyền sử dụng đất lần đầu"
    assert title in reply
    answer = await chat.press(ALICE, title)
    assert title in answer
    assert "Căn cứ" in await chat.press(ALICE, "Căn cứ pháp lý")


async def test_unknown_question_is_queued_and_the_answer_reaches_that_citizen_only(chat: Any) -> None:
    number = ticket_number(await chat.say(ALICE, UNKNOWN))
    await chat.say(BOB, "xin chào")
    done = await chat.say(ADMIN_ID, f"/answer {number} Liên hệ Cảng vụ hàng không miền Bắc.")
    assert f"Đã trả lời câu hỏi #{number}" in done
    await chat.deliver()
    assert "Cảng vụ hàng không" in chat.inbox(ALICE)
    assert "Cảng vụ hàng không" not in chat.inbox(BOB)


async def test_own_questions_rating_and_erasure(chat: Any) -> None:
    number = ticket_number(await chat.say(ALICE, UNKNOWN))
    assert f"#{number}" in await chat.say(ALICE, "/cauhoi")
    assert UNKNOWN in await chat.say(ALICE, f"/theodoi {number}")
    assert UNKNOWN not in await chat.say(BOB, f"/theodoi {number}")  # another citizen sees nothing
    await chat.say(ALICE, "làm giấy khai sinh cho con cần gì")
    assert "Cảm ơn" in await chat.press(ALICE, "Hữu ích")
    assert "không thể hoàn tác" in await chat.say(ALICE, "/xoadulieu")
    assert "Đã xóa" in await chat.press(ALICE, "Xóa dữ liệu của tôi")
    assert "chưa gửi câu hỏi nào" in await chat.say(ALICE, "/cauhoi")


async def test_staff_read_tasks_and_figures(chat: Any) -> None:
    assert "Quản trị điện tử" in await chat.say(STAFF_ID, "/status")
    assert "8.1" in await chat.say(STAFF_ID, "/status quan-tri-dien-tu")
    assert "8.1" in await chat.say(STAFF_ID, "/task 8.1")
    assert "câu hỏi" in (await chat.say(STAFF_ID, "/counts")).lower()


async def test_admin_operates_the_queue(chat: Any) -> None:
    first = ticket_number(await chat.say(ALICE, UNKNOWN))
    second = ticket_number(await chat.say(BOB, "mua hàng giá rẻ tại đây"))
    queue = await chat.say(ADMIN_ID, "/queue")
    assert f"#{first}" in queue and f"#{second}" in queue
    assert "không báo cho người gửi" in await chat.say(ADMIN_ID, f"/close {second} spam")
    await chat.say(ADMIN_ID, f"/answer {first} Liên hệ Cảng vụ hàng không.")
    assert "Đã thêm câu hỏi" in await chat.say(ADMIN_ID, f"/promote {first} tra-cuu-thu-tuc")
    assert "Đã nạp lại" in await chat.say(ADMIN_ID, "/reload")


async def test_every_role_refusal(chat: Any) -> None:
    for command in ("/queue", "/answer 1 x", "/close 1", "/promote 1", "/reload", "/status", "/task 8.1",
                    "/capnhat 8.1 done", "/counts"):
        assert "chỉ dành cho cán bộ" in await chat.say(ALICE, command), command
    for command in ("/queue", "/answer 1 x", "/close 1", "/promote 1", "/reload"):
        assert "chỉ dành cho cán bộ" in await chat.say(STAFF_ID, command), command


async def test_help_lists_what_each_role_may_do(chat: Any) -> None:
    citizen, staff, admin = [await chat.say(who, "/help") for who in (ALICE, STAFF_ID, ADMIN_ID)]
    assert "/cauhoi" in citizen and "/status" not in citizen and "/queue" not in citizen
    assert "/status" in staff and "/queue" not in staff
    assert "/queue" in admin and "/reload" in admin


@pytest.mark.parametrize("chat", TEXT_ONLY, indirect=True)
async def test_numbered_options_on_channels_without_buttons(chat: Any) -> None:
    assert "Nguồn" not in await chat.say(ALICE, "2")  # no live menu: "2" is ordinary text, no topic opens
    reply = await chat.say(ALICE, "thu tuc dat dai")
    options = dict(re.findall(r"^\[(\d+)\] (.*)$", reply, re.M))
    assert len(options) >= 2 and options[str(len(options))] == "Gửi câu hỏi cho cán bộ"
    picked = await chat.say(ALICE, "1")
    assert options["1"] in picked  # the number maps back to the payload of the menu this chat saw last
    shown = {label: n for n, label in re.findall(r"^\[(\d+)\] (.*)$", picked, re.M)}
    assert len(shown) <= 5 and "Hỏi cán bộ" in shown and list(shown)[-1] == "Xem thêm"  # the rest behind it
    others = await chat.say(ALICE, shown["Xem thêm"])
    helpful = {label: n for n, label in re.findall(r"^\[(\d+)\] (.*)$", others, re.M)}["👍 Hữu ích"]
    assert "Cảm ơn" in await chat.say(ALICE, helpful)  # the answer's own menu replaced the suggestions
    storage = chat.stack.services.storage
    await chat.say(ALICE, "làm giấy khai sinh cho con cần gì")
    await storage.database.execute("UPDATE menus SET expires_at = ?", (time.time() - 1,))
    assert "Cảm ơn" not in await chat.say(ALICE, helpful)  # after 30 minutes the menu is gone
    assert "Cảm ơn" not in await chat.say(BOB, helpful)  # menus belong to their own chat


def _menu(text: str) -> dict[str, str]:
    return {label: n for n, label in re.findall(r"^\[(\d+)\] (.*)$", text, re.M)}


@pytest.mark.parametrize("chat", TEXT_ONLY, indirect=True)
async def test_at_most_five_options_with_the_officer_and_the_rest_behind_xem_them(chat: Any) -> None:
    reply = await chat.say(ALICE, "làm sổ đỏ lần đầu cần giấy tờ gì")
    first = _menu(reply)
    assert len(first) == 5 and "Hỏi cán bộ" in first and list(first)[-1] == "Xem thêm", reply
    seen, page = set(first), first
    while "Xem thêm" in page:  # every other option is one «Xem thêm» further, the officer still there
        page = _menu(await chat.say(ALICE, page["Xem thêm"]))
        assert 0 < len(page) <= 5 and "Hỏi cán bộ" in page, page
        seen |= set(page)
    assert {"Lệ phí", "Căn cứ pháp lý", "👍 Hữu ích", "👎 Chưa đúng"} <= seen
    await chat.say(ALICE, "làm sổ đỏ lần đầu cần giấy tờ gì")
    assert "Lệ phí" in await chat.press(ALICE, "Lệ phí")  # a hidden part still opens by its number
    more = await chat.say(ALICE, _menu(await chat.say(ALICE, "làm sổ đỏ lần đầu cần giấy tờ gì"))["Xem thêm"])
    assert "Mã câu hỏi của bạn: #" in await chat.say(ALICE, _menu(more)["Hỏi cán bộ"])  # from «Xem thêm» too


@pytest.mark.parametrize("chat", TEXT_ONLY, indirect=True)
async def test_the_catalogue_is_a_short_list_of_categories_then_the_topics_of_one(chat: Any) -> None:
    reply = await chat.say(ALICE, "/thutuc")
    kb = chat.stack.services.brain.kb
    count = f"{len(kb.topics)} thủ tục trong {len({t.category for t in kb.topics})} lĩnh vực"
    assert "Danh mục thủ tục" in reply and count in reply
    assert len(reply.splitlines()) < 15 and "• " not in reply  # not every topic on about 60 lines
    assert len(_menu(reply)) == 5 and "Đất đai" in _menu(reply)
    land = await chat.press(ALICE, "Đất đai")
    assert "Đất đai" in land and "Cấp giấy chứng nhận quyền sử dụng đất lần đầu" in land
    assert 0 < len(_menu(land)) <= 5
    assert count in await chat.press(ALICE, "☰ Danh mục")
    civil = await chat.press(ALICE, "Hộ tịch")  # on the last page of categories, two «Xem thêm» away
    assert "Hộ tịch" in civil
    answer = await chat.press(ALICE, "Đăng ký khai sinh")
    assert "khai sinh" in answer.lower()
