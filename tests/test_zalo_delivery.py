"""Zalo OA tokens (expiry, -216, rotation across restarts, concurrent refreshes), the 7-day window, Zalo Bot."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.kernel.config import load_config
from bot.store.storage import Storage
from tests.fakezalo import FakeZaloBot, FakeZaloOA
from tests.zalo_stack import OFFICER, bot_serving, bot_webhook, oa_config, oa_serving, say, settle


@pytest.fixture
def fake() -> Iterator[FakeZaloOA]:
    with FakeZaloOA(access_token=None) as oa:  # the bot starts with a refresh token only, as in production
        oa.user_wrote(OFFICER)
        yield oa


async def test_tokens_refreshed_on_expiry_and_on_216_and_rotation_survives_restart(fake: FakeZaloOA,
                                                                                  tmp_path: Path) -> None:
    config = oa_config(fake, tmp_path)
    seed = config.zalo_oa_refresh_token
    async with oa_serving(config) as oa:
        await say(fake, oa, "t1", "khai sinh")
        assert fake.refresh_count == 1
        fake.expire_access_token()
        await say(fake, oa, "t1", "khai tử")
        fake.force_error(-216)
        await say(fake, oa, "t1", "khai sinh")
        assert fake.refresh_count == 3
        assert oa.channel.state()["token"] == "ok"
    storage = await Storage.open(config)
    try:
        stored = await storage.channels.tokens.get("zalo_oa")
    finally:
        await storage.close()
    assert stored is not None and stored.refresh_token == fake.refresh_token != seed
    async with oa_serving(config) as oa:  # the setting's (now dead) seed is not used again
        fake.expire_access_token()
        await say(fake, oa, "t1", "khai sinh")
    assert fake.refresh_tokens_used.count(seed) == 1
    assert len(set(fake.refresh_tokens_used)) == len(fake.refresh_tokens_used) == fake.refresh_count


async def test_concurrent_refreshes_use_the_refresh_token_once(fake: FakeZaloOA, tmp_path: Path) -> None:
    async with oa_serving(oa_config(fake, tmp_path)) as oa:
        keeper = oa.channel.tokens
        first = await keeper.access_token()
        tokens = await asyncio.gather(*(keeper.refresh(first) for _ in range(5)))
        assert len(set(tokens)) == 1 and tokens[0] != first
    assert fake.refresh_count == 2
    assert len(set(fake.refresh_tokens_used)) == len(fake.refresh_tokens_used)


async def test_refused_refresh_shows_on_health(fake: FakeZaloOA, tmp_path: Path) -> None:
    async with oa_serving(oa_config(fake, tmp_path, zalo_oa_refresh_token="not-a-real-one")) as oa:
        await asyncio.to_thread(fake.post_event, oa.url, fake.text_event("t2", "khai sinh"))
        await settle(oa, outbox=False)  # the reply waits in the outbox for a token
        assert "refresh failed" in oa.channel.state()["token"]


async def test_window_closed_tells_the_officer_and_sends_when_the_citizen_writes(fake: FakeZaloOA,
                                                                                 tmp_path: Path) -> None:
    async with oa_serving(oa_config(fake, tmp_path)) as oa:
        await say(fake, oa, "w1", "thủ tục nhận con nuôi")
        fake.advance(8 * 86400)
        await say(fake, oa, OFFICER, "/answer 1 Nộp hồ sơ tại UBND xã.")
        notice = await fake.wait_for_async(lambda m: m["user_id"] == OFFICER and "-230" in m["text"], timeout=10)
        assert "#1" in notice["text"] and "7 ngày" in notice["text"]
        assert not any("UBND xã" in m["text"] for m in fake.messages_to("w1"))
        await say(fake, oa, "w1", "khai sinh")
        await fake.wait_for_async(lambda m: m["user_id"] == "w1" and "UBND xã" in m["text"], timeout=10)


async def test_zalo_bot_polling(tmp_path: Path) -> None:
    with FakeZaloBot() as bot:
        config = load_config({}, zalo_bot_token=bot.token, zalo_bot_api=bot.url, db_path=tmp_path / "db.sqlite")
        async with bot_serving(config):
            bot.push_text("b1", "khai sinh")
            reply = await bot.wait_for_async(lambda m: m["chat_id"] == "b1", timeout=10)
            assert "khai sinh" in reply["text"].lower()
            bot.push_update(bot.sticker_update("b2"))
            reply = await bot.wait_for_async(lambda m: m["chat_id"] == "b2", timeout=10)
            assert "gõ câu hỏi" in reply["text"]
            loop = asyncio.get_running_loop()
            t0 = loop.time()
        assert loop.time() - t0 < 3.0  # the long poll is abandoned at once on stop


async def test_zalo_bot_webhook_wrapped_unwrapped_and_wrong_secret(tmp_path: Path) -> None:
    with FakeZaloBot() as bot:
        async with bot_webhook(bot, tmp_path) as served:
            update = bot.text_update("b3", "khai sinh")
            assert await asyncio.to_thread(bot.deliver_webhook, update, False, "wrong-secret") == 403
            assert await asyncio.to_thread(bot.deliver_webhook, update, False, "") == 403
            assert await asyncio.to_thread(bot.deliver_webhook, update) == 200
            assert await asyncio.to_thread(bot.deliver_webhook, update, True) == 200  # redelivered, wrapped
            assert await asyncio.to_thread(bot.deliver_webhook, bot.text_update("b3", "khai tử"), True) == 200
            await served.stack.core.drain()  # each update was handled before its 200: now its reply is out too
            assert len(bot.messages_to("b3")) == 2


async def test_authorize_with_pkce_stores_the_tokens(fake: FakeZaloOA, tmp_path: Path) -> None:
    from urllib.parse import parse_qs, urlsplit

    from channels.zalo_oa import authorize

    config = oa_config(fake, tmp_path, zalo_oa_refresh_token="", zalo_oa_redirect_url="https://so.example/cb")
    url = authorize.start(config)
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{fake.url}/v4/oa/permission?") and query["redirect_uri"] == ["https://so.example/cb"]
    code = fake.issue_code(query["code_challenge"][0])
    assert await authorize.authorize(config, f"https://so.example/cb?code={code}&state=x") == 0
    assert not authorize.pending_file(config).exists()
    async with oa_serving(config) as oa:
        await say(fake, oa, "a1", "khai sinh")
    assert fake.refresh_count == 0  # the exchanged access token was used as stored


def test_zalo_secrets_are_redacted(fake: FakeZaloOA, tmp_path: Path) -> None:
    config = oa_config(fake, tmp_path, zalo_bot_token="123:bot-secret")
    shown = str(config.redacted())
    for secret in (fake.app_secret, fake.oa_secret_key, fake.refresh_token, "123:bot-secret"):
        assert secret not in shown
