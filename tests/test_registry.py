"""A channel joins papibot through the registry alone: one entry and one adapter (both defined here) and
`papibot run` starts it, a citizen's message comes in through its context and the reply goes out through it,
officers can be told there; the settings accept it; the outbox wakes the delivery worker by itself; and every
adapter's webhook answers a bad request alike."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from app.run import run
from bot.engine.delivery import DeliveryWorker
from bot.kernel.config import Config, ConfigError, load_config
from bot.kernel.events import MESSAGE, Event
from bot.kernel.models import Progress, Reply
from bot.kernel.registry import REGISTRY, ChannelKind, Registry
from bot.kernel.render import to_plain
from bot.store.outbox import OFFICER_LANE
from bot.store.sqlite import StorageUnavailable
from bot.store.storage import Storage
from channels.base import ChannelContext, verified_webhook
from channels.http import Malformed
from tests.procs import free_port

UNKNOWN = "cấp phép bay flycam quay phim đám cưới"  # nothing in the knowledge answers it: a ticket
BUILT: list[FakeChannel] = []  # the adapters the composition root built in this test module


class FakeSender:
    """The fake platform's way out: what each chat received, as plain text."""

    channel = "fake"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, chat_id: str, reply: Reply, reply_to: str | None = None,
                   progress: Progress | None = None) -> str | None:
        self.sent.append((chat_id, to_plain(reply.text)))
        return str(len(self.sent))

    def to(self, chat_id: str) -> list[str]:
        return [text for chat, text in self.sent if chat == chat_id]


class FakeChannel:
    """A platform of papibot's own: citizens write through `receive`."""

    name = "fake"

    def __init__(self, context: ChannelContext) -> None:
        self.context = context
        self.sender = FakeSender()
        self.started = asyncio.Event()
        BUILT.append(self)

    def routes(self) -> list[Any]:
        return []

    async def start(self) -> None:
        self.started.set()

    async def serve(self, stop: asyncio.Event) -> None:
        await stop.wait()

    async def close(self) -> None:
        """Nothing to release."""

    def state(self) -> dict[str, Any]:
        return {"status": "ok"}

    async def receive(self, user: str, text: str, update_id: str) -> None:
        """A citizen writes on the fake platform: the event goes to the core through the context."""
        await self.context.submit(Event("fake", user, user, MESSAGE, text=text, name="Dân", update_id=update_id,
                                        buttons=False), self.sender)


FAKE = ChannelKind("fake", "Nền tảng thử", f"{__name__}:FakeChannel", secrets=("report_signer_name",))
WITH_FAKE = Registry((*REGISTRY.kinds, FAKE))


async def _until(check: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.02)


def _settings(tmp_path: Path) -> Config:
    return load_config({"PAPIBOT_ADMIN_IDS": "fake:officers", "PAPIBOT_ADMIN_CHAT_ID": "fake:officers"},
                       registry=WITH_FAKE, data_dir=tmp_path, db_path=tmp_path / "db.sqlite", http_port=free_port(),
                       web_port=0, rate_limit_per_minute=0)


def test_the_settings_accept_an_officers_destination_on_a_registered_channel_only(tmp_path: Path) -> None:
    config = _settings(tmp_path)
    assert config.admin_chat_id == ("fake:officers",) and config.admin_ids == frozenset({"fake:officers"})
    assert WITH_FAKE.place_warnings(config) == []
    assert WITH_FAKE.place_label("fake:officers") == "Nền tảng thử officers"
    with pytest.raises(ConfigError, match="unknown channel 'fake'"):
        load_config({"PAPIBOT_ADMIN_CHAT_ID": "fake:officers"}, data_dir=tmp_path)


async def test_papibot_run_starts_a_registered_channel_and_talks_through_it(tmp_path: Path) -> None:
    BUILT.clear()
    stop = asyncio.Event()
    running = asyncio.create_task(run(_settings(tmp_path), stop, interactive=False, registry=WITH_FAKE))
    try:
        await _until(lambda: (bool(BUILT) and BUILT[0].started.is_set()) or running.done(), 60)
        assert not running.done(), running.result()
        [channel] = BUILT
        await channel.receive("c1", "làm hộ chiếu ở đâu", "1")
        await _until(lambda: bool(channel.sender.to("c1")))
        assert "hộ chiếu" in channel.sender.to("c1")[0].lower()
        await channel.receive("c1", UNKNOWN, "2")  # a question for the officers: they hear of it on the fake too
        await _until(lambda: any("flycam" in text for text in channel.sender.to("officers")))
    finally:
        stop.set()
        assert await asyncio.wait_for(running, 30) == 0


def test_a_registered_channels_secrets_are_kept_out_of_the_logs(tmp_path: Path) -> None:
    config = dataclasses.replace(_settings(tmp_path), report_signer_name="Trần Văn Mật", telegram_token="42:tok")
    assert set(WITH_FAKE.secret_values(config)) == {"Trần Văn Mật", "42:tok"}
    shown = config.redacted(WITH_FAKE)
    assert shown["report_signer_name"] == "***" and shown["telegram_token"] == "***"
    assert config.redacted()["report_signer_name"] == "Trần Văn Mật"  # not a secret of papibot's own channels


def test_every_setting_the_registry_names_is_a_setting() -> None:
    known = {f.name for f in dataclasses.fields(Config)}
    named = {name for k in REGISTRY.kinds for name in (*k.needs, *k.secrets)}
    assert named and named <= known


async def test_queueing_a_message_wakes_the_delivery_worker(tmp_path: Path) -> None:
    storage = await Storage.open(tmp_path / "db.sqlite")
    sender = FakeSender()
    worker = DeliveryWorker(storage, {"fake": sender}, tick=3600)  # no tick within the test: only the bell
    delivering = asyncio.create_task(worker.run())
    try:
        await asyncio.sleep(0.2)  # the worker has looked once and waits
        await storage.outbox.enqueue("fake", "officers", "note", "Có câu hỏi mới", lane=OFFICER_LANE)
        await _until(lambda: bool(sender.to("officers")), 5)
        assert sender.to("officers") == ["Có câu hỏi mới"]
    finally:
        delivering.cancel()
        await asyncio.gather(delivering, return_exceptions=True)
        await storage.close()


async def test_a_webhook_answers_every_kind_of_bad_request_alike() -> None:
    async def take(data: dict[str, Any], body: bytes) -> bool:
        if data.get("broken"):
            raise Malformed("sender is not an object")
        if data.get("full"):
            raise StorageUnavailable("disk full")
        return not data.get("busy")

    endpoint = verified_webhook("Thử", take, secret=("X-Secret", "s3cret"))
    app = Starlette(routes=[Route("/hook", endpoint, methods=["POST"])])
    good = {"X-Secret": "s3cret"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://papibot.test") as client:
        async def status(body: Any = None, content: bytes | None = None, headers: dict[str, str] = good) -> int:
            return (await client.post("/hook", json=body, content=content, headers=headers)).status_code

        assert await status({"ok": 1}, headers={"X-Secret": "wrong"}) == 403
        assert await status(content=b"x" * (2 << 20)) == 413
        assert await status(content=b"not json") == 400
        assert await status([1, 2]) == 400
        assert await status({"broken": True}) == 400
        assert await status({"full": True}) == 503  # the platform delivers it again
        assert await status({"busy": True}) == 503
        assert await status({"update": 1}) == 200
