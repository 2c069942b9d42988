"""The console over real sockets: `papibot web` alone, and `papibot run` serving it beside the channels."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
import time

import httpx

import channels.web as web_module
from app import run as app_module
from app.commands.web import serve_web
from bot.engine.services import open_services
from bot.kernel.clock import FixedClock
from bot.kernel.config import Config
from bot.kernel.models import Progress, Reply
from bot.store.storage import Storage
from bot.usecases.accounts import IDLE
from tests.webkit import add_accounts, client, login


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _get(url: str) -> httpx.Response:
    for _ in range(200):
        with contextlib.suppress(httpx.ConnectError):
            async with httpx.AsyncClient() as c:
                return await c.get(url)
        await asyncio.sleep(0.05)
    raise AssertionError(f"nothing answered at {url}")


async def test_papibot_web_serves_the_console_alone(config: Config) -> None:
    config = dataclasses.replace(config, web_port=_port())
    stop = asyncio.Event()
    task = asyncio.create_task(serve_web(config, stop))
    try:
        page = await _get(f"http://127.0.0.1:{config.web_port}/login")
        assert page.status_code == 200 and 'name="username"' in page.text and 'name="password"' in page.text
        css = await _get(f"http://127.0.0.1:{config.web_port}/static/web.css")
        assert css.status_code == 200 and "@media" in css.text
    finally:
        stop.set()
        await task


class _Sender:
    channel = "dummy"

    async def send(self, chat_id: str, reply: Reply, reply_to: str | None = None,
                   progress: Progress | None = None) -> str | None:
        return None


class _Channel:
    """The least a channel is, so `run` starts its servers without a platform."""

    name = "dummy"
    sender = _Sender()

    async def start(self) -> None:
        return None

    async def serve(self, stop: asyncio.Event) -> None:
        await stop.wait()

    async def close(self) -> None:
        return None

    def state(self) -> str:
        return "ok"

    def routes(self) -> list[object]:
        return []


async def test_papibot_run_serves_the_console_and_follows_the_knowledge_version(config: Config, monkeypatch) -> None:
    config = dataclasses.replace(config, http_port=_port(), web_port=_port())
    monkeypatch.setattr(app_module, "build_channels", lambda *a: [_Channel()])
    monkeypatch.setattr(app_module, "KNOWLEDGE_POLL", 0.05)
    opened = []
    real_open = app_module.open_services

    async def open_and_keep(c: Config, **kwargs: object):
        opened.append(await real_open(c, **kwargs))
        return opened[-1]

    monkeypatch.setattr(app_module, "open_services", open_and_keep)
    stop = asyncio.Event()
    task = asyncio.create_task(app_module.run(config, stop))
    try:
        assert (await _get(f"http://127.0.0.1:{config.web_port}/login")).status_code == 200
        assert (await _get(f"http://127.0.0.1:{config.http_port}/healthz")).status_code == 200
        question = "flycam quay đám cưới có phải xin phép"
        topic = opened[0].brain.kb.topics[0].id
        await asyncio.sleep(0.05)
        other = await Storage.open(config)  # as a separate `papibot web` on the same database
        try:
            await other.learned.add_questions(topic, [question])
        finally:
            await other.close()
        for _ in range(100):
            if question in opened[0].brain.kb.topic(topic).questions:
                break
            await asyncio.sleep(0.05)
        assert question in opened[0].brain.kb.topic(topic).questions
    finally:
        stop.set()
        await task


async def test_sessions_end_after_idle_time_and_cookies_are_secure_over_https(config: Config) -> None:
    clock = FixedClock(time.time())
    services = await open_services(config, clock=clock)
    try:
        await add_accounts(services)
        async with client(services) as web:
            await login(web, "lan")
            clock.advance(IDLE - 120)
            assert (await web.get("/inbox")).status_code == 200  # used: the session lives on from now
            clock.advance(IDLE - 60)
            assert (await web.get("/inbox")).status_code == 200
            clock.advance(IDLE + 1)
            assert (await web.get("/inbox")).headers["location"] == "/login"
        services.config = dataclasses.replace(services.config, web_url="https://canbo.sonla.example")
        async with client(services) as web:
            assert "secure" in (await login(web, "lan")).headers["set-cookie"].lower()
    finally:
        await services.close()


async def test_papibot_run_leaves_the_console_to_papibot_web_when_its_port_is_zero(config: Config,
                                                                                   monkeypatch) -> None:
    config = dataclasses.replace(config, http_port=_port(), web_port=0)
    monkeypatch.setattr(app_module, "build_channels", lambda *a: [_Channel()])
    built = []
    monkeypatch.setattr(web_module, "build_web_app", lambda *a: built.append(a))
    stop = asyncio.Event()
    task = asyncio.create_task(app_module.run(config, stop))
    try:
        assert (await _get(f"http://127.0.0.1:{config.http_port}/healthz")).status_code == 200
        assert built == []  # several processes on one host: one `papibot web` serves the officers
    finally:
        stop.set()
        await task
