"""Telegram adapter tests: real Update objects through the adapter and the core, against the fake Bot API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telegram import Update

from bot.kernel.config import load_config
from bot.kernel.models import Reply
from channels.telegram import TelegramChannel
from channels.telegram.channel import TYPING_BUSY
from tests.fakebotapi import BOT_USER, FakeBotAPI
from tests.stack import Stack, running

ADMIN, ADMIN_CHAT, GROUP = 7, -100555, -100777


@pytest.fixture
def fake() -> Any:
    with FakeBotAPI() as api:
        yield api


@pytest.fixture
async def tg(fake: FakeBotAPI, tmp_path: Path) -> AsyncIterator[Stack]:
    config = load_config({}, telegram_token=fake.token, telegram_api=fake.url, db_path=tmp_path / "db.sqlite",
                         admin_ids=frozenset({f"telegram:{ADMIN}"}), admin_chat_id=f"telegram:{ADMIN_CHAT}")
    async with running(config, TelegramChannel) as stack:
        yield stack


async def feed(tg: Stack, fake: FakeBotAPI, update_id: int) -> Update:
    """Hand one injected update to the adapter, as polling would."""
    raw = next(u for u in fake.pending_updates() if u["update_id"] == update_id)
    update = Update.de_json(raw, tg.channel.bot)
    await tg.channel.handle(update)
    await tg.core.drain()  # the reply goes out in the background
    return update


async def test_long_reply_is_split_into_valid_parts_with_buttons_last(tg: Stack, fake: FakeBotAPI) -> None:
    paragraph = "<b>Thủ tục</b> đất đai 🙂: " + "hồ sơ gồm đơn, giấy tờ & bản sao. " * 12
    reply = Reply("\n\n".join([paragraph] * 40), [[("Có", "fb:1:y")]])
    assert len(reply.text) > 3 * 4096
    await tg.channel.sender.send("42", reply)
    parts = fake.sent(42)  # the fake rejects any part over 4096 UTF-16 units or with broken HTML
    assert len(parts) >= 4 and all(len(p["text"].encode("utf-16-le")) // 2 <= 4096 for p in parts)
    assert [p["reply_markup"] is not None for p in parts] == [False] * (len(parts) - 1) + [True]
    assert all(p["params"]["link_preview_options"] == {"is_disabled": True} for p in parts)


async def test_long_admin_answer_is_delivered_in_parts(tg: Stack, fake: FakeBotAPI) -> None:
    await feed(tg, fake, fake.inject_message(43, "thủ tục nhận con nuôi"))
    answer = "Bước tiếp theo: nộp hồ sơ tại UBND xã.\n" * 300
    await feed(tg, fake, fake.inject_message(ADMIN, f"/answer 1 {answer}"))
    await fake.wait_sent_async(43, 3)
    parts = fake.sent(43)[1:]
    assert "Trả lời câu hỏi #1" in parts[0]["text"] and all(len(p["text"]) <= 4096 for p in parts)


async def test_user_html_is_escaped_everywhere(tg: Stack, fake: FakeBotAPI) -> None:
    nasty = "thủ tục <b>nhận</b> con nuôi <script>alert(1)</script> & lệ phí"
    await feed(tg, fake, fake.inject_message(44, nasty, first_name="<i>Tèo</i>"))
    post = await fake.wait_for_async(lambda m: m["chat_id"] == ADMIN_CHAT)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; lệ phí" in post["text"]
    assert "&lt;b&gt;nhận&lt;/b&gt;" in post["text"] and "<script>" not in post["text"]
    assert "&lt;i&gt;Tèo&lt;/i&gt;" in post["text"] and "qua Telegram" in post["text"]
    await feed(tg, fake, fake.inject_message(ADMIN, "/answer 1 Dùng <code> & </b> thoải mái"))
    delivered = await fake.wait_for_async(lambda m: m["chat_id"] == 44 and "Trả lời câu hỏi" in m["text"])
    assert "Dùng &lt;code&gt; &amp; &lt;/b&gt; thoải mái" in delivered["text"]


async def test_group_messages_need_a_mention_or_a_reply(tg: Stack, fake: FakeBotAPI) -> None:
    group = {"chat_id": GROUP, "chat_type": "supergroup"}
    await feed(tg, fake, fake.inject_message(45, "làm sổ đỏ lần đầu cần giấy tờ gì", **group))
    assert fake.sent(GROUP) == []
    mention = f"@{BOT_USER['username']} làm sổ đỏ lần đầu cần giấy tờ gì"
    await feed(tg, fake, fake.inject_message(45, mention, **group))
    [answer] = fake.sent(GROUP)
    assert "Cấp giấy chứng nhận quyền sử dụng đất lần đầu" in answer["text"]
    assert answer["reply_to_message_id"] is not None  # in a group the answer quotes its question
    await feed(tg, fake, fake.inject_message(46, "hộ tịch", reply_to_message_id=answer["message_id"], **group))
    assert len(fake.sent(GROUP)) == 2


async def test_staff_commands_stay_out_of_public_groups(tg: Stack, fake: FakeBotAPI) -> None:
    await feed(tg, fake, fake.inject_message(ADMIN, "/counts", chat_id=GROUP, chat_type="supergroup"))
    [reply] = fake.sent(GROUP)
    assert "tin nhắn riêng" in reply["text"] and "Số liệu" not in reply["text"]
    await feed(tg, fake, fake.inject_message(ADMIN, "/counts"))
    assert "tin nhắn riêng" not in fake.sent(ADMIN)[-1]["text"]


async def test_catalogue_pages_and_topic_button(tg: Stack, fake: FakeBotAPI) -> None:
    await feed(tg, fake, fake.inject_message(47, "/thutuc"))
    [catalogue] = fake.sent(47)
    first = catalogue["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert first == "cat:0:0"
    await feed(tg, fake, fake.inject_callback(47, first, catalogue["message_id"]))
    [edit] = fake.edits
    topic = edit["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert topic.startswith("tt:")
    await feed(tg, fake, fake.inject_callback(47, topic, catalogue["message_id"]))
    answer = fake.sent(47)[-1]
    assert "fb:" in str(answer["reply_markup"])


async def test_forged_callback_is_answered_with_an_alert(tg: Stack, fake: FakeBotAPI) -> None:
    await feed(tg, fake, fake.inject_message(48, "/start"))
    [welcome] = fake.sent(48)
    await feed(tg, fake, fake.inject_callback(48, "fb:1:x'; DROP TABLE", welcome["message_id"]))
    await feed(tg, fake, fake.inject_callback(48, "ans:1", welcome["message_id"]))
    await feed(tg, fake, fake.inject_callback(48, "", welcome["message_id"]))
    assert [a["show_alert"] for a in fake.callback_answers] == [True, True, True]
    assert len(fake.sent(48)) == 1
    assert fake.sent(ADMIN_CHAT) == []  # malformed data never turns into an error notice


async def test_typing_is_shown_only_while_work_takes_a_while(tg: Stack, fake: FakeBotAPI) -> None:
    tg.channel.typing_after = 0.05
    await feed(tg, fake, fake.inject_message(43, "/help"))  # an instant answer: no chat action spent
    work = tg.core.reply_to

    async def slow(*args: Any) -> Any:
        await asyncio.sleep(0.3)
        return await work(*args)

    tg.core.reply_to = slow  # type: ignore[method-assign]
    await feed(tg, fake, fake.inject_message(43, "/help"))  # slow work: the citizen sees "typing…"
    await asyncio.sleep(0.1)
    assert [a["action"] for a in fake.chat_actions if a["chat_id"] == 43] == ["typing"]


async def test_a_slow_send_spends_no_typing_indicator(tg: Stack, fake: FakeBotAPI) -> None:
    tg.channel.typing_after = 0.05
    send = tg.channel.sender.send

    async def throttled(*args: Any) -> Any:  # the reply is ready but waits for the rate budget
        await asyncio.sleep(0.3)
        return await send(*args)

    tg.channel.sender.send = throttled  # type: ignore[method-assign]
    await feed(tg, fake, fake.inject_message(44, "/help"))
    await asyncio.sleep(0.1)
    assert len(fake.sent(44)) == 1
    assert not any(a["chat_id"] == 44 for a in fake.chat_actions)


async def test_under_load_typing_gives_way_to_replies(tg: Stack, fake: FakeBotAPI) -> None:
    tg.channel.typing_after = 0.05
    work = tg.core.reply_to

    async def slow(*args: Any) -> Any:
        await asyncio.sleep(0.3)
        return await work(*args)

    tg.core.reply_to = slow  # type: ignore[method-assign]
    chats = range(200, 200 + 3 * TYPING_BUSY)
    updates = [fake.inject_message(chat, "/help") for chat in chats]
    await asyncio.gather(*(feed(tg, fake, u) for u in updates))
    await asyncio.sleep(0.1)
    assert all(len(fake.sent(chat)) == 1 for chat in chats)
    assert len(fake.chat_actions) <= TYPING_BUSY  # the rest of the budget went to replies
