"""`papibot db backup` and `db restore`: consistent online copies, pruning, and a restore that waits for papibot."""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from app.commands import db as cli_db
from bot.engine.services import open_services
from bot.kernel.config import Config
from bot.ops.backup import DatabaseInUse, backup, holding, prune, restore
from bot.store.snapshots import BackupError, quick_check, stamp
from bot.store.sqlite import migrate
from bot.store.sqlite_thread import SqliteThread
from bot.store.storage import Storage
from tests.conftest import admin, citizen, say

LEARNED = "xin phép bay flycam quay phim đám cưới"


def _writer(path: Path, stop: threading.Event, written: list[int]) -> None:
    """Insert rows one transaction at a time until told to stop, recording each committed number."""
    db = sqlite3.connect(path, timeout=30)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER PRIMARY KEY, pad TEXT)")
    n = 0
    while not stop.is_set():
        n += 1
        with db:
            db.execute("INSERT INTO t VALUES (?, ?)", (n, "x" * 500))
        written.append(n)
    db.close()


def test_backup_while_a_writer_is_active_is_consistent(tmp_path: Path) -> None:
    db_path = tmp_path / "live.db"
    stop, written = threading.Event(), []
    thread = threading.Thread(target=_writer, args=(db_path, stop, written))
    thread.start()
    try:
        while len(written) < 200:
            time.sleep(0.01)
        committed_before = written[-1]
        result = backup(db_path, tmp_path / "backups")
    finally:
        stop.set()
        thread.join()
    assert quick_check(result.database) == []
    with sqlite3.connect(result.database) as copy:
        count, top = copy.execute("SELECT count(*), max(n) FROM t").fetchone()
    assert count == top >= committed_before  # every row up to the newest committed one, no gap, no torn write
    assert result.database.name.startswith("papibot-") and [p.name for p in result.database.parent.iterdir()] == [
        result.database.name]  # the learned knowledge is inside the database: no file beside it


def test_prune_keeps_the_newest_n_with_the_learned_files_of_older_backups(tmp_path: Path) -> None:
    db_path, to = tmp_path / "p.db", tmp_path / "b"
    sqlite3.connect(db_path).close()
    start = dt.datetime(2026, 11, 1, 22, 15, tzinfo=dt.UTC)
    for day in range(5):
        when = start + dt.timedelta(days=day)
        to.mkdir(exist_ok=True)  # backups made before the database held the learned knowledge had it beside them
        (to / f"learned-{stamp(when)}.yaml").write_text("questions: {}\ntopics: []\n", encoding="utf-8")
        result = backup(db_path, to, keep=3, now=when)
    names = sorted(p.name for p in to.iterdir())
    assert names == sorted(f"{kind}-202611{d:02d}T221500Z.{ext}" for d in (3, 4, 5)
                           for kind, ext in (("learned", "yaml"), ("papibot", "db")))
    assert result.database.name == "papibot-20261105T221500Z.db"
    assert prune(to, 1) and len(list(to.glob("papibot-*.db"))) == 1
    with pytest.raises(BackupError):
        backup(db_path, to, keep=0)


async def test_restore_refuses_while_held_then_serves_the_restored_data(config: Config, tmp_path: Path) -> None:
    services = await open_services(config)
    reply = await say(services, citizen(5), "xin phép bay flycam quay phim đám cưới ở Mộc Châu")
    await say(services, admin(), "/answer 1 Liên hệ Cục Tác chiến.")
    assert not (await say(services, admin(), f"/promote 1 tra-cuu-thu-tuc {LEARNED}")).alert
    await services.close()
    made = backup(config.db_path, tmp_path / "backups")
    # Later changes that the restore must undo.
    storage = await Storage.open(config.db_path)
    await storage.retention.purge(time.time() + 86400 * 400)
    assert await storage.learned.remove("tra-cuu-thu-tuc", LEARNED)
    await storage.close()
    stray = made.database.with_name(made.database.name.replace("papibot-", "learned-").replace(".db", ".yaml"))
    stray.write_text("questions: {}\ntopics: []\n", encoding="utf-8")  # not read: the database holds it
    with holding(config.db_path), pytest.raises(DatabaseInUse):
        restore(config.db_path, config.learned_file, made.database)
    moved, learned = restore(config.db_path, config.learned_file, made.database)
    assert moved is not None and moved.exists() and ".replaced-" in moved.name and not learned
    services = await open_services(config)
    try:
        ticket = await services.storage.tickets.get(1)
        assert ticket is not None and "flycam" in ticket.question and "#1" in reply.text
        assert LEARNED in services.brain.kb.topic("tra-cuu-thu-tuc").questions  # the learned question is back
    finally:
        await services.close()
    with holding(config.db_path), holding(config.db_path):  # two running papibot processes share the lock
        pass


async def test_restoring_an_older_backup_brings_back_its_learned_file(config: Config, tmp_path: Path) -> None:
    old = tmp_path / "backups" / "papibot-20261101T221500Z.db"
    old.parent.mkdir()
    db = await SqliteThread.connect(old)
    await migrate(db, None, 8)  # a backup from before the database held the learned knowledge
    await db.close()
    beside = old.with_name("learned-20261101T221500Z.yaml")
    beside.write_text(f"questions:\n  tra-cuu-thu-tuc:\n  - text: {LEARNED}\n    ticket: 1\ntopics: []\n",
                      encoding="utf-8")
    moved, learned = restore(config.db_path, config.learned_file, old)
    assert moved is None and learned and config.learned_file.exists()
    services = await open_services(config)  # the first start imports it into the database
    try:
        assert LEARNED in services.brain.kb.topic("tra-cuu-thu-tuc").questions
        assert await services.storage.database.value("SELECT count(*) FROM learned_items") == 1
    finally:
        await services.close()
    assert not config.learned_file.exists() and config.learned_file.with_name("learned.yaml.imported").exists()


def test_restore_refuses_a_damaged_backup_and_keeps_the_database(tmp_path: Path) -> None:
    db_path = tmp_path / "p.db"
    with sqlite3.connect(db_path) as db:
        db.execute("CREATE TABLE t (n)")
    bad = tmp_path / "papibot-20261128T221500Z.db"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    before = db_path.read_bytes()
    with pytest.raises(BackupError):
        restore(db_path, tmp_path / "learned.yaml", bad)
    assert db_path.read_bytes() == before


def test_cli_backup_and_restore(config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_db.cmd_db_backup(argparse.Namespace(to=None, keep=14), config) == 1  # no database yet
    sqlite3.connect(config.db_path).close()
    assert cli_db.cmd_db_backup(argparse.Namespace(to=None, keep=14), config) == 0
    made = next((config.data_dir / "backups").glob("papibot-*.db"))
    assert str(made) in capsys.readouterr().out
    with holding(config.db_path):
        assert cli_db.cmd_db_restore(argparse.Namespace(file=str(made)), config) == 1
    assert "stop it first" in capsys.readouterr().err
    assert cli_db.cmd_db_restore(argparse.Namespace(file=str(made)), config) == 0
