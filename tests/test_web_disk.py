"""A full disk under the console and the webhook server: pages stay readable, a save that cannot be written
is answered 503 in Vietnamese, and both /healthz answer 503 until space is back.

The disk is a real one where the machine lets the test mount a small tmpfs (root); elsewhere SQLite's
`PRAGMA max_page_count` caps the database where it stands, so writes fail with SQLITE_FULL, the error a full
disk gives."""

from __future__ import annotations

import contextlib
import errno
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.run import _health
from bot.engine.services import Services, open_services
from bot.kernel.config import load_config
from channels.http import build_app
from tests.conftest import citizen
from tests.webkit import add_accounts, client, csrf, login

PAGES = ("/inbox", "/misunderstood", "/knowledge", "/dashboard", "/canned", "/learn")
LONG = "Hồ sơ gồm tờ khai và bản sao giấy tờ tùy thân. " * 100  # several pages: the database must grow


@contextlib.contextmanager
def small_disk(path: Path) -> Iterator[bool]:
    """A 16 MB tmpfs mounted at `path` (True), or False where this machine does not allow mounting."""
    path.mkdir()
    if shutil.which("mount") is None:
        yield False
        return
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(path)],
                             capture_output=True, timeout=30).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=30)


class Disk:
    """Fill and free the database's storage: a real file system, or SQLite's page cap."""

    def __init__(self, services: Services, real: bool) -> None:
        self.services, self.real = services, real
        self.filler = services.config.data_dir / "filler"

    async def fill(self) -> None:
        """No room for anything more."""
        database = self.services.storage.database
        if not self.real:
            await database.execute("PRAGMA max_page_count = 1")  # never below the current size: it stops there
            return
        await database.scrub()  # the WAL truncated: the next commit must grow it
        with self.filler.open("wb", buffering=0) as out:  # unbuffered: ENOSPC inside the loop, not at close
            try:
                while True:
                    out.write(b"\0" * (256 * 1024))
            except OSError as exc:
                assert exc.errno == errno.ENOSPC

    async def free(self) -> None:
        """Room again, as after an operator cleans up."""
        if self.real:
            self.filler.unlink()
        else:
            await self.services.storage.database.execute("PRAGMA max_page_count = 1073741823")


@pytest.fixture(params=["tmpfs", "page cap"])
async def disk(request: pytest.FixtureRequest, tmp_path: Path, knowledge_copy: Path) -> AsyncIterator[Disk]:
    with small_disk(tmp_path / "disk") as mounted:
        if request.param == "tmpfs" and not mounted:
            pytest.skip("mounting a tmpfs needs root here; the page cap variant runs instead")
        where = tmp_path / "disk"
        config = load_config(env={}, data_dir=where, db_path=where / "papibot.db", knowledge_dir=knowledge_copy)
        services = await open_services(config)
        try:
            yield Disk(services, request.param == "tmpfs")
        finally:
            await services.close()


async def _health_of(app: Any) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://papibot") as c:
        return await c.get("/healthz")


async def test_a_full_disk_keeps_pages_readable_and_healthz_says_so(disk: Disk) -> None:
    services = disk.services
    await add_accounts(services)
    ticket = (await services.citizen.ask(citizen(), "cấp phép bay flycam quay phim đám cưới")).diagnosis.ticket_id
    webhooks = build_app([], _health(services, []))
    async with client(services) as web:
        assert (await login(web, "lan")).status_code == 303
        assert (await web.get("/healthz")).status_code == 200 and (await _health_of(webhooks)).status_code == 200
        await disk.fill()
        for path in (*PAGES, f"/inbox/{ticket}"):
            page = await web.get(path)
            assert page.status_code == 200, path  # reading needs no room
        token = csrf((await web.get("/canned")).text)
        saved = await web.post("/canned", data={"title": "Hồ sơ", "body": LONG, "csrf": token})
        assert saved.status_code == 503 and "không ghi được dữ liệu" in saved.text and "chưa được lưu" in saved.text
        for health in (await web.get("/healthz"), await _health_of(webhooks)):
            assert health.status_code == 503 and health.json()["database"].startswith("unavailable")
        await disk.free()
        saved = await web.post("/canned", data={"title": "Hồ sơ", "body": LONG, "csrf": token})
        assert saved.status_code == 303 and [c.title for c in await services.storage.canned.every()] == ["Hồ sơ"]
        assert (await web.get("/healthz")).json() == {"database": "ok"}
        assert (await _health_of(webhooks)).status_code == 200
