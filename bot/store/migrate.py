"""SQLite schema upgrades: the version a file is at, and the migrations that bring it to this papibot's.

The upgrade runs in one write transaction that reads the version again once it holds SQLite's write lock,
and an older file is first copied aside (`papibot.db.before-vN`) with the backup API.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

from bot.store.files import DatabaseError
from bot.store.schema import MIGRATIONS, SCHEMA_VERSION
from bot.store.snapshots import snapshot
from bot.store.sqlite_thread import SqliteThread

log = logging.getLogger(__name__)


async def _version(db: SqliteThread) -> int:
    async with db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'") as cur:
        has_table = await cur.fetchone() is not None
    sql = "SELECT max(version) FROM schema_version" if has_table else "PRAGMA user_version"
    async with db.execute(sql) as cur:
        row = await cur.fetchone()
    return int(row[0] or 0) if row else 0


def known_version(version: int) -> int:
    """`version`, unless it is newer than this papibot (DatabaseError)."""
    if version > SCHEMA_VERSION:
        raise DatabaseError(f"the database is at schema version {version}, newer than this papibot "
                            f"({SCHEMA_VERSION}): upgrade papibot or restore a backup")
    return version


async def _run_script(db: SqliteThread, script: str) -> None:
    """Run a script's statements one by one in the open transaction (executescript would commit it first)."""
    statement = ""
    for piece in script.split(";"):
        statement += f"{piece};"
        if sqlite3.complete_statement(statement):  # not a `;` inside a string or a trigger's body
            if statement.strip(" \t\n;"):
                await db.execute(statement)
            statement = ""


async def migrate(db: SqliteThread, path: Path | None = None, target: int = SCHEMA_VERSION) -> int:
    """Bring the schema to `target` in one write transaction; copy an older file aside first.

    The version is read again once the transaction holds SQLite's write lock (BEGIN IMMEDIATE): of several
    processes opening one file at once, one migrates while the others wait, then find the work done.
    """
    version = known_version(await _version(db))
    if version >= target:
        return version
    await db.execute("PRAGMA foreign_keys = OFF")  # tables are rebuilt; re-enabled below
    try:
        await db.execute("BEGIN IMMEDIATE")
        try:
            version = known_version(await _version(db))
            if version and version < target and path is not None and path.exists():
                backup = path.with_name(f"{path.name}.before-v{target}")
                await asyncio.to_thread(snapshot, path, backup)
                log.warning("database at schema version %s copied to %s before upgrading to %s", version,
                            backup, target)
            for number in range(version, target):
                mark = f"UPDATE schema_version SET version = {number + 1};" if number >= 3 else ""
                await _run_script(db, f"{MIGRATIONS[number]}\n{mark}\nPRAGMA user_version = {number + 1};")
            await db.commit()
        except BaseException:
            await db.rollback()
            raise
    finally:
        await db.execute("PRAGMA foreign_keys = ON")
    return max(version, target)
