"""Several papibot processes started at once on a new, empty database: one creates the schema, all come up."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest

from bot.store.postgres import WRITER_LOCK
from bot.store.schema import MIGRATIONS, SCHEMA_VERSION
from bot.store.schema_pg import TABLES
from bot.store.storage import Storage
from tests.fakebotapi import FakeBotAPI
from tests.fakezalo import FakeZaloOA
from tests.pgserver import PgServer
from tests.procs import ROOT, BotProcess, start_bots

ROUNDS, PROCESSES, OPENS = 4, 4, 8  # rounds of real processes (the gate makes each overlap); opens at once per round

# One storage opened by a process of its own, as `papibot run` opens it; prints the version it found.
OPEN_ONE = """
import asyncio, sys
from bot.store.storage import Storage
async def main():
    storage = await Storage.open(sys.argv[1])
    print(await storage.database.value("SELECT max(version) FROM schema_version"))
    await storage.close()
asyncio.run(main())
"""


# Sessions of this database waiting for the advisory lock $1 (a bigint key shows as classid, objid).
WAITING = ("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1"
           " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
           " AND (classid::bigint << 32 | objid::bigint) = $1")


async def _gate(url: str) -> Callable[[list[BotProcess]], Awaitable[None]]:
    """Hold the writers' lock, as a process already migrating would; what releases it once all processes wait.

    Every process then reaches the migration before the first one starts it: the overlap processes started
    at the same instant only sometimes get.
    """
    conn = await asyncpg.connect(url)
    await conn.execute("SELECT pg_advisory_lock($1)", WRITER_LOCK)

    async def release(bots: list[BotProcess]) -> None:
        deadline = time.monotonic() + 60
        try:
            while await conn.fetchval(WAITING, WRITER_LOCK) < len(bots):
                stopped = [b for b in bots if b.proc is not None and b.proc.poll() is not None]
                assert not stopped and time.monotonic() < deadline, "\n".join(b.tail() for b in bots)
                await asyncio.sleep(0.05)
        finally:
            await conn.close()
    return release


async def _failed_opens(target: str | Path) -> list[str]:
    """Open the database OPENS times at once, each on connections of its own; the errors, if any."""
    opened = await asyncio.gather(*(Storage.open(target) for _ in range(OPENS)), return_exceptions=True)
    for storage in opened:
        if not isinstance(storage, BaseException):
            await storage.close()
    return [repr(o) for o in opened if isinstance(o, BaseException)]


async def _schema(url: str) -> tuple[list[int], int]:
    """The rows of schema_version, and how many tables the database holds."""
    conn = await asyncpg.connect(url)
    try:
        versions = [r[0] for r in await conn.fetch("SELECT version FROM schema_version")]
        tables = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        return versions, int(tables)
    finally:
        await conn.close()


async def test_many_opens_at_once_on_an_empty_postgresql_database_all_succeed(pg_server: PgServer) -> None:
    for _ in range(5):
        url = pg_server.create_database()
        assert await _failed_opens(url) == []  # none finds the schema missing after another created it
        versions, tables = await _schema(url)
        assert versions == [SCHEMA_VERSION] and tables == len(TABLES) + 1  # migrated once, fully
        pg_server.drop_database(url)


@pytest.mark.slow
async def test_four_processes_started_together_on_an_empty_database_all_come_up(pg_server: PgServer,
                                                                               tmp_path: Path) -> None:
    for n in range(ROUNDS):
        url = pg_server.create_database()
        gate = await _gate(url) if n % 2 else None  # every other round, all four meet the migration at once
        with FakeBotAPI() as tg, FakeZaloOA() as oa:
            bots = await start_bots(tg, oa, url, tmp_path / f"round{n}", PROCESSES, gate)  # each: /healthz 200
            statuses = await asyncio.gather(*(asyncio.to_thread(b.stop) for b in bots))
            assert statuses == [0] * PROCESSES, "\n".join(b.tail() for b in bots)
        assert (await _schema(url))[0] == [SCHEMA_VERSION]
        pg_server.drop_database(url)


async def _open_in_processes(target: str, count: int) -> list[tuple[int, str]]:
    """Open the database in `count` processes started together; each one's (exit status, output)."""
    procs = [await asyncio.create_subprocess_exec(sys.executable, "-c", OPEN_ONE, target, cwd=ROOT,
                                                  stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
             for _ in range(count)]
    outputs = await asyncio.gather(*(p.communicate() for p in procs))
    return [(p.returncode or 0, out.decode()) for p, (out, _) in zip(procs, outputs, strict=True)]


async def test_several_processes_opening_a_new_sqlite_file_at_once_all_succeed(tmp_path: Path) -> None:
    for n in range(2):
        path = tmp_path / f"r{n}" / "papibot.db"
        results = await _open_in_processes(str(path), PROCESSES)
        assert all(status == 0 for status, _ in results), results
        assert [out.strip() for _, out in results] == [str(SCHEMA_VERSION)] * PROCESSES
        with sqlite3.connect(path) as db:
            assert db.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
        assert not list(path.parent.glob("*.before-v*"))  # a new file is not copied aside as an old one


async def test_processes_upgrading_an_old_sqlite_file_at_once_copy_the_old_version_aside(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:  # as a papibot at schema version 3 left it
        db.executescript("".join(MIGRATIONS[:3]) + "\nPRAGMA user_version = 3;")
        db.execute("INSERT INTO tickets (channel, chat_id, user_id, question, created_at) VALUES ('telegram', 5, 5,"
                   " 'câu hỏi cũ', 1.0)")
    results = await _open_in_processes(str(path), PROCESSES)
    assert [out.split()[-1] for _, out in results] == [str(SCHEMA_VERSION)] * PROCESSES, results
    assert sum("copied to" in out for _, out in results) == 1  # one process upgraded, the others found it done
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT question FROM tickets").fetchall() == [("câu hỏi cũ",)]
    with sqlite3.connect(path.with_name(f"old.db.before-v{SCHEMA_VERSION}")) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (3,)  # the file as it was, not half upgraded
        assert db.execute("SELECT question FROM tickets").fetchall() == [("câu hỏi cũ",)]


async def test_many_opens_at_once_on_a_new_sqlite_file_all_succeed(tmp_path: Path) -> None:
    for n in range(5):
        assert await _failed_opens(tmp_path / f"r{n}.db") == []
