"""Bodies no platform should send, against the fakes: a malformed but authenticated Zalo body is a 400 and one
log line; a lone surrogate in a message is cleaned at the edge, and the question is stored and answered."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.kernel.config import load_config
from bot.store.storage import Storage
from channels.telegram import TelegramChannel
from tests.fakebotapi import FakeBotAPI
from tests.fakezalo import FakeZaloBot, FakeZaloOA
from tests.stack import long_polling
from tests.test_send_faults import telegram_config
from tests.zalo_stack import OFFICER, bot_serving, bot_webhook, oa_config, oa_serving, post

LONE = "làm hộ chiếu ở đâu \ud800"  # what JSON's "\ud800" decodes to: no UTF-8 can carry it
ERROR_REPLY = "gặp lỗi khi xử lý"


@pytest.fixture
def oa_fake() -> Iterator[FakeZaloOA]:
    with FakeZaloOA() as oa:
        oa.user_wrote(OFFICER)
        yield oa


def warnings_and_worse(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_zalo_oa_person_fields_that_are_not_objects_are_refused_with_400(
        oa_fake: FakeZaloOA, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    fake = oa_fake
    broken: list[tuple[dict[str, Any], str]] = [
        ({**fake.text_event("m1", "khai sinh"), "sender": "m1"}, "sender"),
        ({**fake.follow_event("m2"), "follower": "m2"}, "follower"),
        ({**fake.oa_echo_event("m3", "Chào bạn"), "recipient": "m3"}, "recipient"),
        ({**fake.text_event("m4", "khai sinh"), "sender": {"id": ["m4"]}}, "sender.id"),
    ]
    async with oa_serving(oa_config(fake, tmp_path)) as served:
        caplog.set_level(logging.INFO)
        for event, field in broken:
            caplog.clear()
            assert await post(fake, served, event) == 400
            [line] = warnings_and_worse(caplog)  # one line, no traceback, nothing for the officers
            assert line.levelno == logging.WARNING and line.exc_info is None and field in line.getMessage()
        assert await post(fake, served, fake.text_event("m5", "khai sinh")) == 200  # the next one is served


async def test_zalo_bot_from_or_chat_that_is_not_an_object_is_refused_with_400(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with FakeZaloBot() as bot:
        async with bot_webhook(bot, tmp_path):
            caplog.set_level(logging.INFO)
            for field in ("from", "chat"):
                update = bot.text_update("b1", "khai sinh")
                update["message"][field] = "b1"
                caplog.clear()
                assert await asyncio.to_thread(bot.deliver_webhook, update) == 400
                [line] = warnings_and_worse(caplog)
                assert line.levelno == logging.WARNING and line.exc_info is None and field in line.getMessage()


async def test_zalo_bot_polling_skips_a_malformed_update_and_goes_on(tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    with FakeZaloBot() as bot:
        config = load_config({}, zalo_bot_token=bot.token, zalo_bot_api=bot.url, db_path=tmp_path / "db.sqlite")
        async with bot_serving(config):
            caplog.set_level(logging.INFO)
            update = bot.text_update("b2", "khai sinh")
            update["message"]["from"] = "b2"
            bot.push_update(update)
            bot.push_text("b3", "khai sinh")
            reply = await bot.wait_for_async(lambda m: m["chat_id"] == "b3", timeout=10)
            assert "khai sinh" in reply["text"].lower()
    [line] = warnings_and_worse(caplog)
    assert line.levelno == logging.WARNING and line.exc_info is None and "from" in line.getMessage()


async def stored_questions(storage: Storage, channel: str) -> list[str]:
    rows = await storage.database.all("SELECT text FROM questions WHERE channel = ?", (channel,))
    return [str(r["text"]) for r in rows]


def answered_cleanly(text: str) -> bool:
    return "hộ chiếu" in text.lower() and ERROR_REPLY not in text


async def test_a_lone_surrogate_is_cleaned_stored_and_answered_on_telegram(tmp_path: Path) -> None:
    with FakeBotAPI() as fake:
        async with long_polling(telegram_config(fake, tmp_path), TelegramChannel) as stack:
            fake.inject_message(31, LONE)
            [reply] = await fake.wait_sent_async(31, 1, timeout=10)
            assert answered_cleanly(reply["text"])
            assert await stored_questions(stack.services.storage, "telegram") == [LONE[:-1] + "\ufffd"]


async def test_a_lone_surrogate_is_cleaned_stored_and_answered_on_zalo_oa(oa_fake: FakeZaloOA,
                                                                          tmp_path: Path) -> None:
    async with oa_serving(oa_config(oa_fake, tmp_path)) as served:
        assert await post(oa_fake, served, oa_fake.text_event("s1", LONE)) == 200
        reply = await oa_fake.wait_for_async(lambda m: m["user_id"] == "s1", timeout=10)
        assert answered_cleanly(reply["text"])
        assert await stored_questions(served.stack.services.storage, "zalo_oa") == [LONE[:-1] + "\ufffd"]


async def test_a_lone_surrogate_is_cleaned_stored_and_answered_on_zalo_bot(tmp_path: Path) -> None:
    with FakeZaloBot() as bot:
        config = load_config({}, zalo_bot_token=bot.token, zalo_bot_api=bot.url, db_path=tmp_path / "db.sqlite")
        async with bot_serving(config) as served:
            bot.push_text("s2", LONE)
            reply = await bot.wait_for_async(lambda m: m["chat_id"] == "s2", timeout=10)
            assert answered_cleanly(reply["text"])
            assert await stored_questions(served.stack.services.storage, "zalo_bot") == [LONE[:-1] + "\ufffd"]
