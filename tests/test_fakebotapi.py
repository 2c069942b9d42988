"""Drive the fake Telegram Bot API with a real python-telegram-bot Bot/Application."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from telegram import Bot, BotCommand, BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakebotapi import FakeBotAPI
from tests.waiting import until

USER = 42
KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Có", callback_data="yes")]])


@pytest.fixture
def fake() -> Any:
    with FakeBotAPI() as api:
        yield api


@pytest.fixture
async def bot(fake: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(fake.token, base_url=f"{fake.url}/bot") as b:
        yield b


def make_app(fake: FakeBotAPI, **builder_opts: Any) -> Application:
    """An Application wired to the fake, with the replying handlers papibot-style code would have."""
    builder = Application.builder().token(fake.token).base_url(f"{fake.url}/bot")
    for name, value in builder_opts.items():
        builder = getattr(builder, name)(value)
    app = builder.build()

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_html("<b>Chào</b> bạn!", reply_markup=KEYBOARD)

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"echo: {update.message.text}", do_quote=True)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("OK")
        await update.callback_query.edit_message_text(f"Bạn chọn: {update.callback_query.data}")

    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(pressed))
    return app


@asynccontextmanager
async def polling(app: Application) -> AsyncIterator[Application]:
    """Run the app with a short long-poll timeout so shutdown is quick."""
    async with app:
        await app.start()
        await app.updater.start_polling(timeout=1, poll_interval=0)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


async def test_get_me(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot, me.first_name) == (1000, "papibot_test_bot", True, "papibot")


async def test_message_reaches_handler_and_reply_is_recorded(fake: FakeBotAPI) -> None:
    async with polling(make_app(fake)):
        fake.inject_message(USER, "/start")
        [reply] = await fake.wait_sent_async(USER)
    assert reply["text"] == "<b>Chào</b> bạn!" and reply["parse_mode"] == "HTML"
    assert reply["reply_markup"] == {"inline_keyboard": [[{"text": "Có", "callback_data": "yes"}]]}
    stored = fake.message(USER, reply["message_id"])
    assert stored["text"] == "Chào bạn!" and stored["from"]["id"] == 1000  # Telegram strips the tags
    assert fake.calls[:2] == ["getMe", "deleteWebhook"]


async def test_reply_to_message_is_embedded(fake: FakeBotAPI) -> None:
    async with polling(make_app(fake)):
        fake.inject_message(USER, "xin chào")
        reply = await fake.wait_for_async(lambda m: m["text"].startswith("echo"))
    assert reply["text"] == "echo: xin chào" and reply["reply_to_message_id"] == 1
    assert fake.message(USER, reply["message_id"])["reply_to_message"]["text"] == "xin chào"


async def test_confirmed_update_is_not_redelivered(fake: FakeBotAPI) -> None:
    first = fake.inject_message(USER, "một")
    async with polling(make_app(fake)):
        await fake.wait_sent_async(USER, 1)
    assert fake.confirmed_offset == first + 1 and fake.pending_updates() == []
    async with polling(make_app(fake)):
        second = fake.inject_message(USER, "hai")
        await fake.wait_sent_async(USER, 2)
        await until(lambda: fake.confirmed_offset > second, what="the second batch confirmed")
    assert [m["text"] for m in fake.sent(USER)] == ["echo: một", "echo: hai"]


async def test_callback_press_is_answered_and_edits(fake: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(USER, "Chọn đi", reply_markup=KEYBOARD)
    async with polling(make_app(fake)):
        fake.inject_callback(USER, "yes", sent.message_id)
        for _ in range(250):
            if fake.edits:
                break
            await asyncio.sleep(0.02)
    [answer] = fake.callback_answers
    assert answer["text"] == "OK"
    [edit] = fake.edits
    assert (edit["method"], edit["message_id"]) == ("editMessageText", sent.message_id)
    assert edit["text"] == "Bạn chọn: yes"
    assert "reply_markup" not in fake.message(USER, sent.message_id)  # edit without markup drops it


async def test_edit_errors_match_telegram(fake: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(USER, "same")
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("same", USER, sent.message_id)
    with pytest.raises(BadRequest, match="not found"):
        await bot.edit_message_text("x", USER, 999)
    with pytest.raises(BadRequest, match="query"):
        await bot.answer_callback_query("nope")
    with pytest.raises(BadRequest, match="unsupported start tag"):
        await bot.send_message(USER, "Hi <Dân>", parse_mode="HTML")


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_429_is_retried_by_aio_rate_limiter(fake: FakeBotAPI, bot: Bot) -> None:
    fake.fail_next("sendMessage", 429, retry_after=1)
    with pytest.raises(RetryAfter):
        await bot.send_message(USER, "plain Bot raises")
    fake.fail_next("sendMessage", 429, retry_after=1)
    app = make_app(fake, rate_limiter=AIORateLimiter(max_retries=3))
    async with app:
        started = time.monotonic()
        await app.bot.send_message(USER, "arrives anyway")
        assert time.monotonic() - started >= 1.0
    assert [m["text"] for m in fake.sent(USER)] == ["arrives anyway"]
    assert fake.calls.count("sendMessage") == 3


async def test_server_errors_drops_and_delay(fake: FakeBotAPI, bot: Bot) -> None:
    fake.fail_next("sendMessage", 500)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(USER, "a")
    fake.drop_next("sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(USER, "b")
    fake.set_delay(0.3)
    started = time.monotonic()
    await bot.send_message(USER, "c")
    assert time.monotonic() - started >= 0.3
    assert [m["text"] for m in fake.sent()] == ["c"]


async def test_unknown_method_and_wrong_token(fake: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(InvalidToken, match="Not Found"):
        await bot.send_dice(USER)
    with pytest.raises(InvalidToken, match="Unauthorized"):
        await Bot("999:WRONG", base_url=f"{fake.url}/bot").get_me()


async def test_long_poll_blocks_until_update(fake: FakeBotAPI, bot: Bot) -> None:
    threading.Timer(0.3, fake.inject_message, (USER, "late")).start()
    started = time.monotonic()
    updates = await bot.get_updates(timeout=5)
    assert 0.2 < time.monotonic() - started < 3 and updates[0].message.text == "late"
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == ()


async def test_commands_actions_and_webhook_info(fake: FakeBotAPI, bot: Bot) -> None:
    scope = BotCommandScopeChat(USER)
    await bot.set_my_commands([BotCommand("start", "Bắt đầu")], scope=scope)
    assert [c.command for c in await bot.get_my_commands(scope=scope)] == ["start"]
    assert await bot.get_my_commands() == ()
    assert fake.commands[0]["scope"] == {"type": "chat", "chat_id": USER}
    await bot.send_chat_action(USER, "typing")
    assert fake.chat_actions == [{"chat_id": USER, "action": "typing"}]
    await bot.set_webhook("https://example.invalid/hook", secret_token="s")
    assert (await bot.get_webhook_info()).url == "https://example.invalid/hook"
    with pytest.raises(Conflict):
        await bot.get_updates()


def test_raw_json_and_get_requests(fake: FakeBotAPI) -> None:
    base = f"{fake.url}/bot{fake.token}"
    req = urllib.request.Request(f"{base}/sendMessage", json.dumps({"chat_id": 7, "text": "123"}).encode(),
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert json.load(resp)["result"]["text"] == "123"
    with urllib.request.urlopen(f"{base}/getMe", timeout=5) as resp:
        assert json.load(resp) == {"ok": True, "result": fake.api_getme({})}
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{base}/noSuchMethod", timeout=5)
    assert err.value.code == 404 and json.load(err.value)["description"] == "Not Found"
    assert fake.sent(7)[0]["text"] == "123"  # a string param that looks like JSON stays a string


def test_wait_for_reports_what_was_sent(fake: FakeBotAPI) -> None:
    with pytest.raises(AssertionError, match="nothing"):
        fake.wait_for(lambda m: True, timeout=0.1)


async def test_webhook_refuses_requests_without_secret(fake: FakeBotAPI) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = make_app(fake)
    async with app:
        await app.start()
        await app.updater.start_webhook(listen="127.0.0.1", port=port, url_path="hook",
                                        webhook_url=f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        try:
            assert fake.webhook_secret == "s3cret"
            update_id = fake.inject_message(USER, "qua webhook")
            post = fake.post_update_to_webhook
            assert await asyncio.to_thread(post, update_id) == 403
            assert await asyncio.to_thread(post, update_id, secret="wrong") == 403
            assert await asyncio.to_thread(post, update_id, secret=fake.webhook_secret) == 200
            await fake.wait_for_async(lambda m: m["text"] == "echo: qua webhook")
        finally:
            await app.updater.stop()
            await app.stop()
