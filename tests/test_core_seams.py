"""The seams of the core: no channel library inside it, identities with their channel, schema upgrades,
committed reads only, one transaction per handled update, /healthz on the one HTTP server."""

from __future__ import annotations

import ast
import asyncio
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.run import _health
from bot.engine.guard import FloodGuard
from bot.engine.router import Router
from bot.engine.services import open_services
from bot.kernel.config import ConfigError, load_config
from bot.kernel.events import Event
from bot.kernel.models import User
from bot.store.database import Turn
from bot.store.dbapi import Conn
from bot.store.schema import MIGRATIONS, SCHEMA_VERSION
from bot.store.sqlite import DatabaseError
from bot.store.storage import Storage
from channels.http import build_app
from handlers.routes import ROUTES

ROOT = Path(__file__).resolve().parents[1]
CHANNEL_LIBRARIES = ("telegram", "starlette", "uvicorn", "channels")
BOTH_BACKENDS = True  # the storage seams below run on SQLite and on PostgreSQL


@pytest.mark.parametrize("package", ["bot", "handlers"])
def test_the_core_imports_no_channel_library(package: str) -> None:
    for path in (ROOT / package).glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                # Only the command-line entry points start the composition root (app.run, channels.web).
                entry = path.name.startswith("cli") and name.startswith("channels.")
                assert name.split(".")[0] not in CHANNEL_LIBRARIES or entry, f"{path.name} imports {name}"


def test_identities_carry_their_channel() -> None:
    config = load_config({"PAPIBOT_ADMIN_IDS": "123, -100777, zalo_oa:8421097412338840001",
                          "PAPIBOT_ADMIN_CHAT_ID": "-1001234"})
    assert config.admin_ids == {"telegram:123", "telegram:-100777", "zalo_oa:8421097412338840001"}
    assert config.admin_chat_id == ("telegram:-1001234",)  # a bare number keeps meaning Telegram
    for bad in ("telegram:abc", "facebook:1", "1 2"):
        with pytest.raises(ConfigError):
            load_config({"PAPIBOT_STAFF_IDS": bad})


def test_old_webhook_listen_names_still_work_but_must_agree() -> None:
    assert load_config({"PAPIBOT_WEBHOOK_PORT": "9000"}).http_port == 9000
    with pytest.raises(ConfigError, match="disagrees"):
        load_config({"PAPIBOT_WEBHOOK_PORT": "9000", "PAPIBOT_HTTP_PORT": "9001"})


def _version_3_database(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.executescript("".join(MIGRATIONS[:3]) + "\nPRAGMA user_version = 3;")
        db.execute("INSERT INTO tickets (channel, chat_id, user_id, question, created_at, answer, answered_by,"
                   " status) VALUES ('telegram', 5, 5, 'câu hỏi cũ', 1.0, 'đáp', 7, 'answered')")
        db.execute("INSERT INTO processed_updates (update_id, at) VALUES (99, 1.0)")
        db.execute("INSERT INTO task_status (task_id, status, note, changed_by, at) VALUES ('5.6', 'done', '', 7, 1)")


async def test_an_old_database_is_copied_aside_then_carried_forward(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _version_3_database(path)
    storage = await Storage.open(path)
    try:
        ticket = await storage.tickets.get(1)
        assert ticket is not None and (ticket.chat_id, ticket.answered_by) == ("5", "telegram:7")
        assert await storage.database.processed("telegram", "99")
        assert (await storage.plan.task_overrides())["5.6"].changed_by == "telegram:7"
    finally:
        await storage.close()
    backup = tmp_path / f"old.db.before-v{SCHEMA_VERSION}"
    with sqlite3.connect(backup) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 3  # the copy is the old file, untouched


async def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    await (await Storage.open(path)).close()  # created at the current version
    with sqlite3.connect(path) as db:
        db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(DatabaseError, match="newer"):
        await Storage.open(path)


async def test_a_read_never_sees_another_tasks_uncommitted_rows(services) -> None:
    storage, loop = services.storage, asyncio.get_running_loop()
    inside, release, held = asyncio.Event(), asyncio.Event(), threading.Event()
    on_loop = threading.get_ident()

    async def slow(db: Conn) -> None:  # a write held open, as the storage's own writes never are
        await db.execute("INSERT INTO tickets (channel, chat_id, user_id, question, created_at)"
                         " VALUES ('console', '1', '1', 'chưa ghi xong', 1.0)")
        loop.call_soon_threadsafe(inside.set)
        if threading.get_ident() == on_loop:  # PostgreSQL: the transaction is the event loop's
            await release.wait()
        else:  # SQLite: the whole transaction runs on the writer's own thread
            held.wait(10)

    async def writer() -> None:
        await storage.database.write(slow)

    task = asyncio.create_task(writer())
    await inside.wait()
    assert (await storage.tickets.pending())[1] == 0  # the open transaction is invisible to readers
    release.set()
    held.set()
    await task
    assert (await storage.tickets.pending())[1] == 1


@pytest.mark.sqlite_only
async def test_an_answered_message_costs_one_write_transaction(services, monkeypatch) -> None:
    router = Router(services, ROUTES, FloodGuard(20))
    await router.handle(Event("telegram", "9", "9", text="xin chào", update_id="4"))  # first contact recorded
    commits = 0
    write = services.storage.database.write

    async def counting(fn: Any, turn: Turn | None = None, serial: bool = True) -> Any:
        nonlocal commits
        commits += 1
        return await write(fn, turn, serial)

    monkeypatch.setattr(services.storage.database, "write", counting)
    reply = await router.handle(Event("telegram", "9", "9", text="làm giấy khai sinh cho con", update_id="5"))
    assert reply is not None and reply.diagnosis.topic == "khai-sinh"
    assert commits == 1  # the question and the record that update 5 was processed, together


@pytest.mark.sqlite_only
async def test_a_numbered_menu_is_recorded_with_its_update_in_one_write(services, monkeypatch) -> None:
    router = Router(services, ROUTES, FloodGuard(20))
    await router.handle(Event("zalo_oa", "9", "9", text="xin chào", update_id="4", buttons=False))
    writes = 0
    write = services.storage.database.write

    async def counting(fn: Any, turn: Turn | None = None, serial: bool = True) -> Any:
        nonlocal writes
        writes += 1
        return await write(fn, turn, serial)

    monkeypatch.setattr(services.storage.database, "write", counting)
    reply = await router.handle(Event("zalo_oa", "9", "9", text="/thutuc", update_id="5", buttons=False))
    assert reply is not None and reply.buttons  # a menu, answered by typing its numbers
    assert writes == 1  # the menu and the record that update 5 was processed, together
    assert await services.storage.menus.choice("zalo_oa", "9", "9", 1) == reply.buttons[0][0][1]
    assert await services.storage.database.processed("zalo_oa", "5")


async def test_healthz_reports_each_channel_and_the_missing_officers_destination(config) -> None:
    services = await open_services(config)
    closed = False
    try:
        app = build_app([], _health(services, []))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://papibot") as client:
            response = await client.get("/healthz")
            assert response.status_code == 200
            assert response.json()["database"] == "ok" and "PAPIBOT_ADMIN_CHAT_ID" in response.json()["warning"]
            await services.storage.close()  # the database becomes unusable
            closed = True
            assert (await client.get("/healthz")).status_code == 503
    finally:
        if not closed:
            await services.storage.close()


async def test_a_garbage_database_fails_fast_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.db"
    path.write_bytes(b"not a database at all " * 4000)
    with pytest.raises(DatabaseError):
        await asyncio.wait_for(Storage.open(path), 5)


async def test_corruption_in_the_middle_of_the_file_refuses_start_up(tmp_path: Path) -> None:
    path = tmp_path / "papibot.db"
    storage = await Storage.open(path)
    for i in range(300):
        await storage.questions.log(citizen_user(i), f"câu hỏi số {i} " * 20, "queue", None, 0.0)
    await storage.database.scrub()  # the WAL copied into the file
    await storage.close()
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 8192] = b"\xa5" * 8192  # a bad sector in the middle of the file
    path.write_bytes(bytes(data))
    with pytest.raises(DatabaseError, match=r"corrupt|malformed"):
        await Storage.open(path)
    env = {"PATH": "/usr/bin:/bin", "PAPIBOT_DB": str(path)}
    check = subprocess.run([sys.executable, "-m", "app.cli", "db", "check"], capture_output=True, text=True,
                           env=env, cwd=ROOT, timeout=60)
    assert check.returncode == 1 and "backup" in check.stderr
    run = subprocess.run([sys.executable, "-m", "app.cli", "run"], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=60, input="")
    assert run.returncode == 2 and "Traceback" not in run.stderr and "sao lưu" in run.stderr


def citizen_user(i: int) -> User:
    """A citizen on Telegram."""
    return User("telegram", str(i), str(i), "", "citizen")
