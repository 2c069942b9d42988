"""`papibot db migrate-to`: a SQLite database copied into PostgreSQL, row for row, ids carried on."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

from bot.engine.services import open_services
from bot.kernel.config import Config, load_config
from bot.store.storage import Storage
from bot.usecases.outcomes import succeeded
from tests.conftest import ROOT_DIR, admin, citizen, say
from tests.pgserver import PgServer

UNKNOWN = "cấp phép bay flycam quay phim đám cưới"
LEARNED = "muốn biết thủ tục nào nộp trực tuyến được ở Sơn La"


def migrate(config: Config, url: str) -> subprocess.CompletedProcess[str]:
    """The command as an operator runs it."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PAPIBOT_DB": str(config.db_path)}
    return subprocess.run([sys.executable, "-m", "app.cli", "db", "migrate-to", url], capture_output=True,
                          text=True, env=env, cwd=ROOT_DIR, timeout=120)


async def test_a_sqlite_database_is_copied_whole_and_new_ids_follow_on(config: Config, pg_server: PgServer) -> None:
    services = await open_services(config)
    try:
        for n in range(3):
            await say(services, citizen(40 + n), f"{UNKNOWN} lần {n}")
        await services.admin.answer(admin(), 1, "Liên hệ Cảng vụ hàng không.")
        assert succeeded(await services.admin.promote(admin(), 1, "tra-cuu-thu-tuc", LEARNED))
        await services.storage.canned.save(None, "Chào", "Xin chào anh/chị", "console:7")
        assert await services.storage.channels.inbound.store("zalo_oa", "m1", "9", "{}", within=5.0)
        await services.storage.database.execute("DELETE FROM tickets WHERE id = 3")  # its id must never be reused
    finally:
        await services.close()
    url = pg_server.create_database()
    try:
        done = migrate(config, url)
        assert done.returncode == 0, done.stderr
        assert "tickets: 2 -> 2" in done.stdout and "outbox: 1 -> 1" in done.stdout
        assert "canned_replies: 1 -> 1" in done.stdout and "inbound_events: 1 -> 1" in done.stdout
        assert "learned_items: 1 -> 1" in done.stdout and "knowledge_state: 1 -> 1" in done.stdout
        moved = await open_services(load_config(env={}, db_url=url, knowledge_dir=config.knowledge_dir))
        try:
            ticket = await moved.storage.tickets.get(1)
            assert ticket is not None and ticket.status == "answered" and ticket.answer == "Liên hệ Cảng vụ hàng không."
            reply = await say(moved, citizen(50), UNKNOWN)
            assert reply.diagnosis.ticket_id == 4  # after the highest id SQLite ever gave out
            assert LEARNED in moved.brain.kb.topic("tra-cuu-thu-tuc").questions  # learned knowledge moved too
        finally:
            await moved.close()
        again = migrate(config, url)
        assert again.returncode == 1 and "not empty" in again.stderr  # never merges into existing data
    finally:
        pg_server.drop_database(url)


def test_the_target_must_be_postgresql(config: Config) -> None:
    done = migrate(config, "/tmp/other.db")
    assert done.returncode == 2 and "postgresql://" in done.stderr


async def test_a_newer_sqlite_schema_is_not_copied(config: Config, pg_server: PgServer) -> None:
    await (await Storage.open(config)).close()
    with sqlite3.connect(config.db_path) as db:
        db.execute("UPDATE schema_version SET version = version + 1")
    url = pg_server.create_database()
    try:
        done = migrate(config, url)
        assert done.returncode == 1 and "newer than this papibot" in done.stderr
    finally:
        pg_server.drop_database(url)
