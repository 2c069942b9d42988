"""`papibot db migrate-to postgresql://...`: copy a SQLite database into an empty PostgreSQL database.

The SQLite file is first brought to the current schema (as any start of papibot would), the PostgreSQL
database is created at the same version, then every table is copied in one transaction, parents before
children, identity sequences are moved past the highest id ever used, and the row counts are compared.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.kernel.config import Config, is_pg_url
from bot.store.database import Database
from bot.store.files import DatabaseError
from bot.store.postgres import PgDatabase
from bot.store.schema_pg import IDENTITY_TABLES, TABLES


class MigrationError(Exception):
    """The copy was refused or did not come out identical."""


async def _columns(source: Database, table: str) -> list[str]:
    return [str(c[1]) for c in await source.all(f"PRAGMA table_info({table})")]


async def _last_ids(source: Database) -> dict[str, int]:
    """Per AUTOINCREMENT table, the highest id SQLite ever handed out (deleted rows included)."""
    rows = await source.all("SELECT name, seq FROM sqlite_sequence")
    return {str(r[0]): int(r[1] or 0) for r in rows}


async def copy_database(sqlite_path: Path, url: str) -> dict[str, tuple[int, int]]:
    """Copy every table; per table (rows in SQLite, rows in PostgreSQL). Refuses a non-empty target."""
    from bot.store.storage import Storage

    source = (await Storage.open(sqlite_path)).database  # brought to the current schema, as any start would
    try:
        target = await PgDatabase.open(url)
        try:
            return await _copy(source, target)
        finally:
            await target.close()
    finally:
        await source.close()


async def _copy(source: Database, target: PgDatabase) -> dict[str, tuple[int, int]]:
    filled = [t for t in TABLES if await target.value(f"SELECT count(*) FROM {t}")]
    if filled:
        raise MigrationError(f"the PostgreSQL database is not empty ({', '.join(filled)} hold rows): "
                             "migrate into a new, empty database")
    last = await _last_ids(source)
    async with target.pool.acquire() as conn, conn.transaction():
        for table in TABLES:
            columns = await _columns(source, table)
            rows = await source.all(f"SELECT {', '.join(columns)} FROM {table}")
            if rows:
                await conn.copy_records_to_table(table, records=[tuple(r) for r in rows], columns=columns)
        for table in IDENTITY_TABLES:
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                               f" greatest(coalesce(max(id), 0), $1::bigint) + 1, false) FROM {table}",
                               last.get(table, 0))
    counts = {t: (int(await source.value(f"SELECT count(*) FROM {t}")),
                  int(await target.value(f"SELECT count(*) FROM {t}"))) for t in TABLES}
    wrong = [t for t, (a, b) in counts.items() if a != b]
    if wrong:
        raise MigrationError(f"row counts differ after the copy in: {', '.join(wrong)}")
    return counts


async def cmd_db_migrate_to(args: argparse.Namespace, config: Config) -> int:
    """Copy the configured SQLite database into the PostgreSQL database at args.url; print the row counts."""
    if not is_pg_url(args.url):
        print("papibot: the target must be a postgresql:// URL", file=sys.stderr)
        return 2
    if config.db_url or not config.db_path.exists():
        print(f"papibot: no SQLite database at {config.db_path} (PAPIBOT_DB) to copy from", file=sys.stderr)
        return 1
    try:
        counts = await copy_database(config.db_path, args.url)
    except (MigrationError, DatabaseError) as exc:
        print(f"papibot: {exc}", file=sys.stderr)
        return 1
    for table, (rows, copied) in counts.items():
        print(f"{table}: {rows} -> {copied}")
    print(f"OK: {sum(c for _, c in counts.values())} rows copied; set PAPIBOT_DB to the PostgreSQL URL to use it")
    return 0
