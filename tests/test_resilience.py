"""Start-up refuses a broken knowledge base, a bad reload keeps the old one, a busy database is waited for,
and roles hold: what a citizen or a staff member may not do, they cannot do."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.engine.services import Services
from bot.kernel.models import STAFF, User
from tests.conftest import admin, citizen, say

ROOT = Path(__file__).resolve().parents[1]


def test_broken_knowledge_stops_start_up_with_a_clear_message(knowledge_copy: Path, tmp_path: Path) -> None:
    (knowledge_copy / "topics" / "can-cuoc.yaml").write_text("id: can-cuoc\nanswer: [\n", encoding="utf-8")
    env = {**os.environ, "PAPIBOT_KNOWLEDGE": str(knowledge_copy), "PAPIBOT_DB": str(tmp_path / "db")}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    out = subprocess.run([sys.executable, "-m", "app.cli", "run"], input="", capture_output=True, text=True,
                         env=env, cwd=ROOT, timeout=60)
    assert out.returncode == 2
    assert "topics/can-cuoc.yaml" in out.stderr and "Traceback" not in out.stderr


async def test_bad_reload_keeps_serving_the_old_knowledge(services: Services, knowledge_copy: Path) -> None:
    path = knowledge_copy / "topics" / "khai-sinh.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("category:", "categoryy:"), encoding="utf-8")
    reply = await say(services, admin(), "/reload")
    assert "vẫn dùng bản cũ" in reply.text and "categoryy" in reply.text
    assert (await services.citizen.ask(citizen(), "làm giấy khai sinh cho con cần gì")).diagnosis.topic == "khai-sinh"


async def test_busy_database_is_waited_for_not_failed(services: Services, config) -> None:
    blocker = sqlite3.connect(config.db_path, timeout=1)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock for a moment

    async def release() -> None:
        await asyncio.sleep(0.5)
        blocker.rollback()

    reply, _ = await asyncio.gather(services.citizen.ask(citizen(), "cấp phép bay flycam quay phim đám cưới"),
                                    release())
    blocker.close()
    assert reply.diagnosis.ticket_id == 1


async def test_roles_hold_for_every_privileged_command(services: Services) -> None:
    ticket = (await services.citizen.ask(citizen(5), "cấp phép bay flycam quay phim đám cưới")).diagnosis.ticket_id
    staff = User("console", "6", "6", "Cán bộ", STAFF)
    for line in (f"/answer {ticket} xong", f"/close {ticket} spam", f"/promote {ticket}", "/queue", "/reload"):
        assert "chỉ dành cho cán bộ" in (await say(services, staff, line)).text, line
        assert "chỉ dành cho cán bộ" in (await say(services, citizen(5), line)).text, line
    for line in ("/status", "/task 8.1", "/capnhat 8.1 done", "/counts"):
        assert "chỉ dành cho cán bộ" in (await say(services, citizen(5), line)).text, line
    assert (await services.storage.tickets.get(ticket)).status == "pending"
    assert "8.1" in (await say(services, staff, "/task 8.1")).text
