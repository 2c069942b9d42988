"""`papibot db backup|restore|check` on PostgreSQL, and the before-vN dump every schema migration takes."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from app.cli import main
from bot.engine.services import open_services
from bot.kernel.config import Config
from bot.ops.backup import prune
from bot.store import pg_tools as pgtools
from bot.store.postgres import pg_migrate
from bot.store.schema import SCHEMA_VERSION
from bot.store.sqlite import DatabaseError
from bot.store.storage import Storage
from tests.conftest import admin, citizen, say
from tests.pgserver import PgServer

PASSWORD = "Mk-b1-mat-9x7"
Cli = Callable[..., Awaitable[int]]
Out = pytest.CaptureFixture[str]
Logs = pytest.LogCaptureFixture


@pytest.fixture
def backend() -> str:
    """Every test here runs on the PostgreSQL server."""
    return "postgres"


@pytest.fixture
def cli(config: Config, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """`papibot ...` in-process (in a thread: main runs its own event loop), on the test's database and data."""
    async def run(*argv: str, url: str | None = None) -> int:
        monkeypatch.setenv("PAPIBOT_DB", url or config.db_url)
        monkeypatch.setenv("PAPIBOT_DATA_DIR", str(config.data_dir))
        monkeypatch.setenv("PAPIBOT_KNOWLEDGE", str(config.knowledge_dir))
        return await asyncio.to_thread(main, list(argv))
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield run
    root.handlers[:], root.level = handlers, level  # main's logging setup writes to this test's captured stderr


async def _ticket_question(config: Config, number: int) -> str | None:
    storage = await Storage.open(config)
    try:
        ticket = await storage.tickets.get(number)
        return ticket.question if ticket else None
    finally:
        await storage.close()


def _dumps(config: Config, pattern: str = "papibot-*.dump") -> list[Path]:
    return sorted((config.data_dir / "backups").glob(pattern))


async def test_backup_then_restore_brings_the_data_back(config: Config, cli: Cli, capsys: Out) -> None:
    services = await open_services(config)
    await say(services, citizen(5), "xin phép bay flycam quay phim đám cưới ở Mộc Châu")
    await say(services, admin(), "/answer 1 Liên hệ Cục Tác chiến.")
    await services.close()
    storage = await Storage.open(config)
    await storage.learned.add_questions("ho-chieu", ["xin hộ chiếu cho con đi du học"])
    await storage.close()
    assert await cli("db", "backup") == 0
    [made] = _dumps(config)
    assert str(made) in capsys.readouterr().out
    storage = await Storage.open(config)  # later changes the restore must undo
    await storage.retention.purge(time.time() + 86400 * 400)
    await storage.learned.remove("ho-chieu", "xin hộ chiếu cho con đi du học")
    await storage.close()
    assert await _ticket_question(config, 1) is None
    assert await cli("db", "restore", str(made)) == 0
    out = capsys.readouterr().out
    assert f"Phiên bản lược đồ {SCHEMA_VERSION} (đúng với papibot này)" in out and "tickets): 1" in out
    question = await _ticket_question(config, 1)
    assert question is not None and "flycam" in question
    storage = await Storage.open(config)
    _, items = await storage.learned.snapshot()
    await storage.close()
    assert [i.topic_id for i in items] == ["ho-chieu"]  # learned knowledge lives in the dump
    assert len(_dumps(config, "before-restore-*.dump")) == 1  # what was replaced is kept


async def test_restore_is_refused_while_papibot_is_connected_unless_forced(
        config: Config, cli: Cli, capsys: Out) -> None:
    storage = await Storage.open(config)
    try:
        assert await cli("db", "backup") == 0  # a backup runs alongside the bot
        [made] = _dumps(config)
        assert await cli("db", "restore", str(made)) == 1
        assert "papibot vẫn đang kết nối" in capsys.readouterr().err
        assert await cli("db", "restore", "--force", str(made)) == 0
    finally:
        await storage.close()
    assert "khởi động lại" in capsys.readouterr().out


async def test_restore_refuses_a_backup_of_the_other_backend(
        config: Config, cli: Cli, tmp_path: Path, capsys: Out) -> None:
    sqlite_copy = tmp_path / "papibot-20261128T221500Z.db"
    with sqlite3.connect(sqlite_copy) as db:
        db.execute("CREATE TABLE t (n)")
    assert await cli("db", "restore", str(sqlite_copy)) == 1
    assert "bản sao lưu SQLite nhưng papibot đang dùng PostgreSQL" in capsys.readouterr().err
    await (await Storage.open(config)).close()
    assert await cli("db", "backup") == 0
    [made] = _dumps(config)
    assert await cli("db", "restore", str(made), url=str(tmp_path / "local.db")) == 1
    assert "bản sao lưu PostgreSQL (pg_dump) nhưng papibot đang dùng SQLite" in capsys.readouterr().err
    damaged = tmp_path / "papibot-20261128T221500Z.dump"
    damaged.write_bytes(made.read_bytes()[:200])
    assert await cli("db", "restore", str(damaged)) == 1
    assert "không đọc được" in capsys.readouterr().err
    assert await cli("db", "check") == 0  # the database was left as it was


async def test_check_reports_a_healthy_database_and_fails_a_newer_one(config: Config, cli: Cli, capsys: Out) -> None:
    services = await open_services(config)
    await say(services, citizen(5), "xin phép bay flycam quay phim đám cưới ở Mộc Châu")
    await services.close()
    assert await cli("db", "check") == 0
    out = capsys.readouterr().out
    assert f"Phiên bản lược đồ: {SCHEMA_VERSION} (papibot này: {SCHEMA_VERSION})" in out
    assert "Máy chủ PostgreSQL" in out and "tickets: 1" in out and "amcheck: đã kiểm tra" in out
    conn = await asyncpg.connect(config.db_url)
    try:
        await conn.execute("UPDATE schema_version SET version = $1", SCHEMA_VERSION + 1)
    finally:
        await conn.close()
    assert await cli("db", "check") == 1
    assert f"mới hơn papibot này ({SCHEMA_VERSION})" in capsys.readouterr().out


async def test_check_without_the_right_to_create_amcheck_reads_every_table(
        config: Config, cli: Cli, pg_server: PgServer, capsys: Out) -> None:
    await (await Storage.open(config)).close()
    pg_server.sql("DO $$ BEGIN CREATE ROLE clerk LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    conn = await asyncpg.connect(config.db_url)
    try:
        await conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO clerk")
    finally:
        await conn.close()
    clerk_url = config.db_url.replace(f"//{pgtools.APP_NAME}@", "//clerk@")
    assert await cli("db", "check", url=clerk_url) == 0
    out = capsys.readouterr().out
    assert "bỏ qua amcheck" in out and "Đã đọc hết" in out


async def test_the_password_stays_out_of_argv_and_output(
        config: Config, cli: Cli, monkeypatch: pytest.MonkeyPatch, capsys: Out, caplog: Logs) -> None:
    caplog.set_level(logging.DEBUG)
    await (await Storage.open(config)).close()
    url = config.db_url.replace("//papibot@", f"//papibot:{PASSWORD}@")
    assert PASSWORD in url
    seen: list[tuple[list[str], dict[str, str]]] = []
    real_run = pgtools.run

    async def recording(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
        seen.append((argv, env))
        return await real_run(argv, env)

    monkeypatch.setattr(pgtools, "run", recording)
    assert await cli("db", "backup", url=url) == 0
    [made] = _dumps(config)
    assert await cli("db", "restore", str(made), url=url) == 0
    assert await cli("db", "check", url=url) == 0
    assert [Path(argv[0]).name for argv, _ in seen] == ["pg_dump", "pg_dump", "pg_restore"]
    for argv, env in seen:
        assert not any(PASSWORD in arg for arg in argv) and "--dbname=postgresql://papibot@" in argv[1]
        assert env["PGPASSWORD"] == PASSWORD
    captured = capsys.readouterr()
    assert PASSWORD not in captured.out + captured.err + caplog.text


def test_password_is_taken_from_the_user_part_and_the_query() -> None:
    assert pgtools.without_password("postgresql://bot:p%40ss@db:5432/papibot?sslmode=require") == \
        ("postgresql://bot@db:5432/papibot?sslmode=require", "p@ss")
    assert pgtools.without_password("postgres://bot@db/papibot?password=x1&sslmode=verify-full") == \
        ("postgres://bot@db/papibot?sslmode=verify-full", "x1")


async def _older_database(config: Config) -> None:
    """The database as the previous papibot left it, with one ticket."""
    conn = await asyncpg.connect(config.db_url)
    try:
        assert await pg_migrate(conn, target=SCHEMA_VERSION - 1) == SCHEMA_VERSION - 1
        await conn.execute("INSERT INTO tickets (channel, chat_id, user_id, question, created_at)"
                           " VALUES ('console', '1', '1', 'còn đó không', 1.0)")
    finally:
        await conn.close()


async def test_a_migration_dumps_the_database_first_and_the_dump_rolls_it_back(
        config: Config, cli: Cli, capsys: Out) -> None:
    await _older_database(config)
    storage = await Storage.open(config)
    await storage.close()
    [before] = _dumps(config, f"before-v{SCHEMA_VERSION}-*.dump")
    assert await cli("db", "check") == 0
    assert await cli("db", "restore", str(before)) == 0  # rolling the upgrade back
    out = capsys.readouterr().out
    assert f"Phiên bản lược đồ {SCHEMA_VERSION - 1}, cũ hơn" in out and "tickets): 1" in out
    conn = await asyncpg.connect(config.db_url)
    try:
        assert await conn.fetchval("SELECT max(version) FROM schema_version") == SCHEMA_VERSION - 1
    finally:
        await conn.close()
    storage = await Storage.open(config)  # upgrading again works: the newer tables went with the rollback
    try:
        assert await storage.database.value("SELECT max(version) FROM schema_version") == SCHEMA_VERSION
        assert await _ticket_question(config, 1) == "còn đó không"
    finally:
        await storage.close()
    assert len(_dumps(config, f"before-v{SCHEMA_VERSION}-*.dump")) == 2


async def test_without_pg_dump_a_migration_is_refused_unless_allowed(
        config: Config, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: Logs, capsys: Out) -> None:
    await _older_database(config)
    monkeypatch.setattr(pgtools, "PG_LIB", tmp_path / "nowhere")
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    with pytest.raises(DatabaseError, match="PAPIBOT_MIGRATE_WITHOUT_BACKUP=1"):
        await Storage.open(config)
    storage = await Storage.open(dataclasses.replace(config, migrate_without_backup=True))
    try:
        assert await storage.database.value("SELECT max(version) FROM schema_version") == SCHEMA_VERSION
    finally:
        await storage.close()
    assert "WITHOUT A BACKUP" in caplog.text and not _dumps(config, "before-*")
    assert await cli("db", "backup") == 1
    err = capsys.readouterr().err
    assert "không tìm thấy pg_dump" in err and "phiên bản chính" in err


def test_prune_treats_sqlite_copies_and_postgresql_dumps_alike(tmp_path: Path) -> None:
    for day, ext in ((1, "db"), (2, "dump"), (3, "db"), (4, "dump")):
        (tmp_path / f"papibot-202611{day:02d}T020000Z.{ext}").write_bytes(b"x")
        (tmp_path / f"learned-202611{day:02d}T020000Z.yaml").write_text("{}", encoding="utf-8")
    (tmp_path / "before-v9-20261101T000000Z.dump").write_bytes(b"x")  # migration dumps are kept
    removed = prune(tmp_path, 2)
    assert sorted(p.name for p in removed) == ["learned-20261101T020000Z.yaml", "learned-20261102T020000Z.yaml",
                                               "papibot-20261101T020000Z.db", "papibot-20261102T020000Z.dump"]
    assert sorted(p.name for p in tmp_path.glob("papibot-*")) == ["papibot-20261103T020000Z.db",
                                                                   "papibot-20261104T020000Z.dump"]
