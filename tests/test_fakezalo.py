"""The Zalo fakes themselves, driven through real HTTP (urllib), as an adapter would use them."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import http.client
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.fakezalo import STALE_AGE, FakeZaloBot, FakeZaloOA

USER = "2512522178893742123"
HEX32 = re.compile(r"[0-9a-f]{32}")
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str, data: bytes | None = None, headers: dict[str, str] | None = None,
         timeout: float = 5.0) -> tuple[int, Any]:
    """POST (or GET without data) and return (status, decoded JSON or raw text)."""
    request = urllib.request.Request(url, data, headers or {}, method="POST" if data is not None else "GET")
    try:
        with _OPENER.open(request, timeout=timeout) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode()


def send(oa: FakeZaloOA, user: str = USER, text: str = "Xin chào", token: str | None = None,
         quote: str | None = None) -> dict[str, Any]:
    """Call the OA send endpoint the way an adapter would; return the JSON body (status must be 200)."""
    message: dict[str, Any] = {"text": text, **({"quote_message_id": quote} if quote else {})}
    body = json.dumps({"recipient": {"user_id": user}, "message": message}).encode()
    headers = {"Content-Type": "application/json", "access_token": token or oa.access_token}
    status, reply = fetch(f"{oa.url}/v3.0/oa/message/cs", body, headers)
    assert status == 200
    return reply


def oauth(oa: FakeZaloOA, secret: str | None = None, **form: str) -> dict[str, Any]:
    """Call the OAuth token endpoint (form-encoded, secret_key header)."""
    data = urllib.parse.urlencode({"app_id": oa.app_id, **form}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "secret_key": secret or oa.app_secret}
    status, reply = fetch(f"{oa.url}/v4/oa/access_token", data, headers)
    assert status == 200
    return reply


def bot_call(bot: FakeZaloBot, method: str, token: str | None = None, http_timeout: float = 5.0,
             **params: Any) -> tuple[int, dict[str, Any]]:
    """Call a Bot Platform method with a JSON body."""
    url = f"{bot.url}/bot{token or bot.token}/{method}"
    return fetch(url, json.dumps(params).encode(), {"Content-Type": "application/json"}, http_timeout)


def pkce(verifier: str) -> str:
    """Independent PKCE S256 computation."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).decode().replace("=", "")


def zalo_mac(first: str, body: bytes, timestamp: str, key: str) -> str:
    """Independent Zalo webhook MAC: plain SHA-256 of first + body + timestamp + OA secret key."""
    digest = hashlib.sha256()
    for part in (first.encode(), body, timestamp.encode(), key.encode()):
        digest.update(part)
    return digest.hexdigest()


class Receiver:
    """A tiny webhook endpoint recording what it was sent."""

    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture
def oa() -> Iterator[FakeZaloOA]:
    with FakeZaloOA() as fake:
        yield fake


@pytest.fixture
def bot() -> Iterator[FakeZaloBot]:
    with FakeZaloBot() as fake:
        yield fake


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


# ---- lifecycle --------------------------------------------------------------------------------------------
def test_context_manager_binds_loopback_and_shuts_down() -> None:
    with FakeZaloOA() as oa, FakeZaloBot() as bot:
        ports = {urllib.parse.urlsplit(f.url).port for f in (oa, bot)}
        assert oa.url.startswith("http://127.0.0.1:") and bot.url.startswith("http://127.0.0.1:")
        assert len(ports) == 2
    for port in ports:
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_stop_wakes_a_blocked_long_poll() -> None:
    bot = FakeZaloBot().start()
    result: list[Any] = []
    poller = threading.Thread(target=lambda: result.append(_poll_or_error(bot)))
    poller.start()
    time.sleep(0.2)
    started = time.monotonic()
    bot.stop()
    poller.join(3)
    assert not poller.is_alive() and time.monotonic() - started < 2


def _poll_or_error(bot: FakeZaloBot) -> Any:
    try:
        return bot_call(bot, "getUpdates", http_timeout=5, timeout="30")
    except (OSError, http.client.HTTPException) as exc:
        return exc


# ---- OA: sending ------------------------------------------------------------------------------------------
def test_send_succeeds_within_window_and_is_recorded(oa: FakeZaloOA) -> None:
    oa.user_wrote(USER)
    reply = send(oa, text="Chào anh")
    assert reply["error"] == 0 and reply["message"] == "Success"
    assert HEX32.fullmatch(reply["data"]["message_id"]) and reply["data"]["user_id"] == USER
    [msg] = oa.messages_to(USER)
    assert (msg["text"], msg["quote_message_id"], msg["message_id"]) == ("Chào anh", None, reply["data"]["message_id"])
    assert oa.wait_for(lambda m: m["text"] == "Chào anh", timeout=1)["user_id"] == USER
    with pytest.raises(AssertionError, match="timed out"):
        oa.wait_for(lambda m: m["text"] == "never", timeout=0.1)


def test_access_token_unknown_missing_expired(oa: FakeZaloOA) -> None:
    oa.user_wrote(USER)
    assert send(oa, token="not-a-token")["error"] == -216
    assert send(oa, token=" ")["error"] == -216
    oa.expire_access_token()
    assert send(oa)["error"] == -220
    fresh = FakeZaloOA(token_lifetime=60, clock=lambda: 1_000_000.0).start()
    try:
        fresh.user_wrote(USER)
        assert send(fresh)["error"] == 0
        fresh.advance(61)
        assert send(fresh)["error"] == -220
    finally:
        fresh.stop()
    assert oa.messages == []


def test_text_limits_and_quotes(oa: FakeZaloOA) -> None:
    oa.user_wrote(USER, msg_id="a" * 32)
    assert send(oa, text="x" * 2000)["error"] == 0
    too_long = send(oa, text="x" * 2001)
    assert too_long["error"] == -201 and "too long" in too_long["message"]
    assert send(oa, text="")["error"] == -201
    assert send(oa, text="  \n")["error"] == -201
    assert send(oa, quote="f" * 32)["error"] == -201
    assert send(oa, quote="a" * 32)["error"] == 0
    sent_id = oa.messages_to(USER)[0]["message_id"]
    assert send(oa, quote=sent_id)["error"] == 0
    assert [m["quote_message_id"] for m in oa.messages_to(USER)] == [None, "a" * 32, sent_id]


def test_seven_day_window_follows_the_clock() -> None:
    with FakeZaloOA(token_lifetime=30 * 86400) as oa:
        assert send(oa)["error"] == -230  # never interacted
        oa.user_wrote(USER)
        oa.advance(6 * 86400)
        assert send(oa)["error"] == 0
        oa.advance(86400 + 1)
        assert send(oa)["error"] == -230
        oa.user_wrote(USER)
        assert send(oa)["error"] == 0
        oa.user_wrote(USER, at=oa.now() - 8 * 86400)
        assert send(oa)["error"] == -230


def test_user_states_and_forced_errors(oa: FakeZaloOA) -> None:
    oa.user_wrote(USER)
    oa.set_user(USER, restricted=True)
    assert send(oa)["error"] == -244
    oa.set_user(USER, restricted=False, inactive=True)
    assert send(oa)["error"] == -227
    oa.set_user(USER, inactive=False, following=False)
    assert send(oa)["error"] == -213
    oa.set_user(USER, following=True)
    oa.force_error(-216)
    oa.force_error(-32, times=2)
    oa.force_error(-232)
    assert [send(oa)["error"] for _ in range(5)] == [-216, -32, -32, -232, 0]
    assert len(oa.messages) == 1


# ---- OA: OAuth --------------------------------------------------------------------------------------------
def test_refresh_token_is_single_use(oa: FakeZaloOA) -> None:
    oa.user_wrote(USER)
    first = oauth(oa, grant_type="refresh_token", refresh_token="oa-refresh-initial")
    assert first["expires_in"] == "90000" and first["refresh_token"] != "oa-refresh-initial"
    assert send(oa, token=first["access_token"])["error"] == 0
    reused = oauth(oa, grant_type="refresh_token", refresh_token="oa-refresh-initial")
    assert reused["error"] == -14014 and reused["error_name"] == "Invalid refresh token"
    second = oauth(oa, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert second["access_token"] not in (first["access_token"], "oa-access-initial")
    assert oa.refresh_count == 2 and oa.refresh_token == second["refresh_token"]
    assert oa.refresh_tokens_used == ["oa-refresh-initial", "oa-refresh-initial", first["refresh_token"]]


def test_oauth_rejects_wrong_credentials(oa: FakeZaloOA) -> None:
    assert oauth(oa, secret="wrong", grant_type="refresh_token", refresh_token=oa.refresh_token)["error"] == -14012
    assert oauth(oa, app_id="999", grant_type="refresh_token", refresh_token=oa.refresh_token)["error"] == -14002
    assert oauth(oa, grant_type="password", refresh_token=oa.refresh_token)["error"] == -14003
    assert oa.refresh_count == 0
    assert "access_token" in oauth(oa, grant_type="refresh_token", refresh_token="oa-refresh-initial")


def test_concurrent_refreshes_with_one_token_yield_one_winner(oa: FakeZaloOA) -> None:
    oa.delay(0.2, times=2, target="access_token")
    replies: list[dict[str, Any]] = []
    threads = [threading.Thread(target=lambda: replies.append(
        oauth(oa, grant_type="refresh_token", refresh_token="oa-refresh-initial"))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert sorted("access_token" in r for r in replies) == [False, True]
    assert oa.refresh_count == 1 and oa.refresh_tokens_used == ["oa-refresh-initial"] * 2


def test_authorization_code_with_pkce(oa: FakeZaloOA) -> None:
    verifier = "v" * 43
    code = oa.issue_code(pkce(verifier))
    wrong = oauth(oa, grant_type="authorization_code", code=code, code_verifier="w" * 43)
    assert wrong["error"] == -14016
    code = oa.issue_code(pkce(verifier))
    tokens = oauth(oa, grant_type="authorization_code", code=code, code_verifier=verifier)
    assert tokens["expires_in"] == "90000" and oa.access_token == tokens["access_token"]
    assert oauth(oa, grant_type="authorization_code", code=code, code_verifier=verifier)["error"] == -14019
    assert "access_token" in oauth(oa, grant_type="refresh_token", refresh_token=tokens["refresh_token"])


# ---- OA: webhook events -----------------------------------------------------------------------------------
def test_text_event_shape_and_both_signature_variants(oa: FakeZaloOA, receiver: Receiver) -> None:
    event = oa.text_event(USER, "Thủ tục khai sinh?")
    assert event["event_name"] == "user_send_text" and event["app_id"] == oa.app_id
    assert event["sender"]["id"] == USER and event["recipient"]["id"] == oa.oa_id
    assert HEX32.fullmatch(event["message"]["msg_id"]) and event["message"]["text"] == "Thủ tục khai sinh?"
    assert isinstance(event["timestamp"], str) and abs(int(event["timestamp"]) - time.time() * 1000) < 5000
    assert event["user_id_by_app"] and event["user_id_by_app"] != USER
    for variant, first in (("app_id", oa.app_id), ("oa_id", oa.oa_id)):
        assert oa.post_event(receiver.url, event, variant=variant) == (200, "ok")
        headers, body = receiver.got[-1]
        assert json.loads(body) == event
        assert headers["x-zevent-signature"] == "mac=" + zalo_mac(first, body, event["timestamp"], oa.oa_secret_key)
        assert oa.sign(body, event["timestamp"], variant) == headers["x-zevent-signature"][4:]


def test_tampered_stale_and_custom_signatures(oa: FakeZaloOA, receiver: Receiver) -> None:
    event = oa.text_event(USER, "Xin chào")
    for variant, first in (("app_id", oa.app_id), ("oa_id", oa.oa_id)):
        oa.post_event(receiver.url, event, variant=variant, tamper=True)
        headers, body = receiver.got[-1]
        assert json.loads(body) != event
        assert headers["x-zevent-signature"] != "mac=" + zalo_mac(first, body, event["timestamp"], oa.oa_secret_key)
    oa.post_event(receiver.url, event, stale=True)
    headers, body = receiver.got[-1]
    stamp = json.loads(body)["timestamp"]
    assert time.time() * 1000 - int(stamp) >= STALE_AGE * 1000 - 5000
    assert headers["x-zevent-signature"] == "mac=" + zalo_mac(oa.app_id, body, stamp, oa.oa_secret_key)
    oa.post_event(receiver.url, event, signature="mac=deadbeef")
    assert receiver.got[-1][0]["x-zevent-signature"] == "mac=deadbeef"
    receiver.status = 401
    assert oa.post_event(receiver.url, event, signature="") == (401, "ok")
    assert "x-zevent-signature" not in receiver.got[-1][0]
    assert send(oa)["error"] == -230  # none of these were genuine: the user has not interacted


def test_genuine_events_update_the_fake(oa: FakeZaloOA, receiver: Receiver) -> None:
    event = oa.text_event(USER, "Hỏi", msg_id="b" * 32)
    oa.post_event(receiver.url, event)
    assert send(oa, quote="b" * 32)["error"] == 0
    oa.post_event(receiver.url, oa.unfollow_event(USER))
    assert send(oa)["error"] == -213
    oa.post_event(receiver.url, oa.follow_event(USER))
    assert send(oa)["error"] == 0
    echo = oa.oa_echo_event(USER, "Cán bộ trả lời", msg_id="c" * 32)
    assert echo["event_name"] == "oa_send_text"
    assert (echo["sender"]["id"], echo["recipient"]["id"]) == (oa.oa_id, USER)
    oa.post_event(receiver.url, echo)
    assert send(oa, quote="c" * 32)["error"] == 0
    other = "999"
    oa.post_event(receiver.url, oa.image_event(other))
    oa.post_event(receiver.url, oa.sticker_event(other))
    assert [json.loads(b)["event_name"] for _, b in receiver.got[-2:]] == ["user_send_image", "user_send_sticker"]
    assert send(oa, user=other)["error"] == 0


# ---- fault injection (shared by both fakes) ---------------------------------------------------------------
def test_oa_faults_delay_fail_drop(oa: FakeZaloOA) -> None:
    oa.user_wrote(USER)
    oa.delay(0.3, times=1)
    started = time.monotonic()
    assert send(oa)["error"] == 0
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    assert send(oa)["error"] == 0 and time.monotonic() - started < 0.25
    oa.fail_next(500, target="access_token")
    status, _ = fetch(f"{oa.url}/v3.0/oa/message/cs", b"{}", {"access_token": oa.access_token})
    assert status == 200  # the failure is aimed at the OAuth path only
    status, body = fetch(f"{oa.url}/v4/oa/access_token", b"", {})
    assert status == 500 and isinstance(body, str)
    oa.drop_next()
    with pytest.raises((urllib.error.URLError, http.client.HTTPException, ConnectionError)):
        send(oa)
    oa.fail_next(502, for_seconds=0.3)
    assert fetch(f"{oa.url}/v3.0/oa/message/cs", b"{}")[0] == 502
    time.sleep(0.35)
    assert send(oa)["error"] == 0
    assert fetch(f"{oa.url}/nowhere", b"{}")[0] == 404


def test_bot_faults_rate_limit_and_delay(bot: FakeZaloBot) -> None:
    bot.fail_next(429, target="sendMessage")
    assert bot_call(bot, "getMe")[0] == 200
    status, body = bot_call(bot, "sendMessage", chat_id=USER, text="x")
    assert (status, body["ok"], body["error_code"]) == (429, False, 429)
    bot.delay(0.3, for_seconds=0.5)
    started = time.monotonic()
    assert bot_call(bot, "sendMessage", chat_id=USER, text="x")[0] == 200
    assert time.monotonic() - started >= 0.3
    bot.clear_faults()
    bot.fail_next(500, times=2)
    assert [bot_call(bot, "getMe")[0] for _ in range(3)] == [500, 500, 200]


# ---- Bot Platform -----------------------------------------------------------------------------------------
def test_bot_token_and_get_me(bot: FakeZaloBot) -> None:
    status, body = bot_call(bot, "getMe", token="123:wrong")
    assert (status, body["ok"], body["error_code"]) == (401, False, 401)
    status, body = bot_call(bot, "getMe")
    assert status == 200 and body["ok"] is True
    assert {"id", "account_name", "display_name"} <= set(body["result"])
    assert bot_call(bot, "noSuchMethod")[0] == 404


def test_get_updates_returns_one_update_then_times_out(bot: FakeZaloBot) -> None:
    first = bot.push_text(USER, "Xin chào", display_name="Lò Văn A")
    bot.push_update(bot.sticker_update(USER))
    status, body = bot_call(bot, "getUpdates", timeout="30")
    assert status == 200 and body["result"] == first
    msg = body["result"]["message"]
    assert body["result"]["event_name"] == "message.text.received"
    assert (msg["chat"], msg["from"]["display_name"], msg["from"]["is_bot"]) == (
        {"id": USER, "chat_type": "PRIVATE"}, "Lò Văn A", False)
    assert isinstance(msg["date"], int) and msg["text"] == "Xin chào"
    assert bot_call(bot, "getUpdates", timeout="1")[1]["result"]["event_name"] == "message.sticker.received"
    started = time.monotonic()
    status, body = bot_call(bot, "getUpdates", timeout="0.3")
    assert (status, body["ok"], body["error_code"]) == (408, False, 408)
    assert 0.3 <= time.monotonic() - started < 2
    threading.Timer(0.2, bot.push_text, (USER, "muộn")).start()
    assert bot_call(bot, "getUpdates", timeout="5")[1]["result"]["message"]["text"] == "muộn"


def test_webhook_secret_rules_and_polling_refusal(bot: FakeZaloBot) -> None:
    for bad in ("short77", "s" * 257, None):
        status, body = bot_call(bot, "setWebhook", url="https://example.invalid/hook", secret_token=bad)
        assert (status, body["error_code"]) == (400, 400)
    assert bot_call(bot, "setWebhook", url="https://example.invalid/hook", secret_token="s" * 256)[0] == 200
    assert bot_call(bot, "setWebhook", url="https://example.invalid/hook", secret_token="8chars!!")[0] == 200
    assert bot_call(bot, "getWebhookInfo")[1]["result"]["url"] == "https://example.invalid/hook"
    bot.push_text(USER, "chờ")
    status, body = bot_call(bot, "getUpdates", timeout="1")
    assert status != 200 and body["ok"] is False
    assert bot_call(bot, "deleteWebhook")[0] == 200
    assert bot_call(bot, "getWebhookInfo")[1]["result"]["url"] == ""
    assert bot_call(bot, "getUpdates", timeout="1")[1]["result"]["message"]["text"] == "chờ"


def test_deliver_webhook_plain_and_wrapped(bot: FakeZaloBot, receiver: Receiver) -> None:
    with pytest.raises(AssertionError):
        bot.deliver_webhook(bot.text_update(USER, "x"))
    bot_call(bot, "setWebhook", url=receiver.url, secret_token="secret-123")
    update = bot.text_update(USER, "Xin chào")
    assert bot.deliver_webhook(update) == 200
    assert receiver.got[-1][0]["x-bot-api-secret-token"] == "secret-123"
    assert json.loads(receiver.got[-1][1]) == update
    assert bot.deliver_webhook(update, wrapped=True) == 200
    assert json.loads(receiver.got[-1][1]) == {"ok": True, "result": update}
    receiver.status = 403
    assert bot.deliver_webhook(update, secret="wrong-secret") == 403
    assert receiver.got[-1][0]["x-bot-api-secret-token"] == "wrong-secret"
    bot.deliver_webhook(update, secret="")
    assert "x-bot-api-secret-token" not in receiver.got[-1][0]


def test_send_message_limits_and_records(bot: FakeZaloBot) -> None:
    status, body = bot_call(bot, "sendMessage", chat_id=USER, text="y" * 2000)
    assert status == 200 and HEX32.fullmatch(body["result"]["message_id"]) and body["result"]["date"] > 0
    for text in ("", "y" * 2001):
        status, body = bot_call(bot, "sendMessage", chat_id=USER, text=text)
        assert (status, body["ok"], body["error_code"]) == (400, False, 400)
    assert bot_call(bot, "sendChatAction", chat_id=USER, action="typing")[0] == 200
    assert bot.chat_actions == [{"chat_id": USER, "action": "typing"}]
    assert [len(m["text"]) for m in bot.messages_to(USER)] == [2000]
    assert bot.wait_for(lambda m: m["chat_id"] == USER, timeout=1)["text"] == "y" * 2000


async def test_wait_for_async_lets_the_loop_run(bot: FakeZaloBot) -> None:
    task = asyncio.create_task(asyncio.to_thread(bot_call, bot, "sendMessage", chat_id=USER, text="async"))
    found = await bot.wait_for_async(lambda m: m["text"] == "async", timeout=3)
    assert found["chat_id"] == USER and (await task)[0] == 200
    with pytest.raises(AssertionError, match="timed out"):
        await bot.wait_for_async(lambda m: m["text"] == "never", timeout=0.1)
