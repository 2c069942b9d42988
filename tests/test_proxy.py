"""Government networks reach the internet through a proxy: every outbound client honours HTTP(S)_PROXY."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from app.run import channel_context
from bot.engine.core import Core
from bot.engine.guard import FloodGuard
from bot.engine.router import Router
from bot.engine.services import open_services
from bot.kernel.config import load_config
from channels.zalo_bot import BotClient
from handlers.routes import ROUTES


class _Proxy(BaseHTTPRequestHandler):
    """A forward proxy that answers every absolute-URI request itself with a Bot API success."""

    seen: list[str]

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.seen.append(f"{self.command} {self.path}")
        if self.path.endswith("/getMe"):
            result: Any = {"id": 1, "is_bot": True, "first_name": "papibot", "username": "papibot_bot"}
        else:
            result = {"message_id": "m1", "date": 0}
        body = json.dumps({"ok": True, "result": result}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A local proxy named by HTTP_PROXY and HTTPS_PROXY; yields the request lines it received."""
    seen: list[str] = []
    handler = type("Handler", (_Proxy,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, url)
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield seen
    server.shutdown()
    server.server_close()


async def test_zalo_bot_calls_go_through_the_proxy(proxy: list[str]) -> None:
    client = BotClient("http://bot-api.zalo.invalid", "123:secret")
    try:
        assert client.http._trust_env  # httpx reads HTTP(S)_PROXY and NO_PROXY
        result = await client.call("sendMessage", {"chat_id": "u1", "text": "Xin chào"})
    finally:
        await client.close()
    assert result["message_id"] == "m1"
    assert proxy == ["POST http://bot-api.zalo.invalid/bot123:secret/sendMessage"]


async def test_telegram_calls_go_through_the_proxy(proxy: list[str], tmp_path: Path) -> None:
    from channels.telegram.channel import TelegramChannel

    config = load_config({}, telegram_token="42:abc", telegram_api="http://api.telegram.invalid",
                         db_path=tmp_path / "db.sqlite", data_dir=tmp_path)
    services = await open_services(config)
    try:
        router = Router(services, ROUTES, FloodGuard(0))
        channel = TelegramChannel(channel_context(Core(services, router)))
        me = await channel.bot.get_me()
        await channel.bot.shutdown()
    finally:
        await services.close()
    assert me.username == "papibot_bot"
    assert proxy and proxy[0] == "POST http://api.telegram.invalid/bot42:abc/getMe"


def test_the_zalo_oa_client_trusts_the_environment() -> None:
    source = (Path(__file__).resolve().parents[1] / "channels" / "zalo_oa" / "channel.py").read_text(encoding="utf-8")
    assert "httpx.AsyncClient(" in source and "trust_env=False" not in source
