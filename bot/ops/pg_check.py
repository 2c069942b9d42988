"""`papibot db check` on PostgreSQL: server and schema versions, every table read in full, amcheck on indexes."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from bot.ops.pg_backup import connect
from bot.store.postgres import pg_version
from bot.store.schema import SCHEMA_VERSION
from bot.store.schema_pg import TABLES

MAIN_TABLES = ("tickets", "questions", "outbox", "conversations", "contacts", "web_users")
_INDEXES = ("SELECT c.oid, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_am a ON a.oid = c.relam "
            "WHERE a.amname = 'btree' AND t.relname = ANY($1::text[]) "
            "AND t.relnamespace = to_regnamespace(current_schema()) ORDER BY c.relname")


class _Rollback(Exception):
    """Ends the amcheck transaction so the extension it may have created does not stay behind."""


@dataclass
class CheckReport:
    """What the check saw: lines to print, and the problems (none when the database is healthy)."""

    server: str = ""
    version: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


async def pg_check(url: str) -> CheckReport:
    """Connect, compare the schema version with this papibot's, read every table, verify the indexes."""
    report = CheckReport()
    conn = await connect(url)
    try:
        report.server = str(await conn.fetchval("SHOW server_version"))
        report.version = await pg_version(conn)
        _judge_version(report)
        if report.version:
            await _read_tables(conn, report)
            await _amcheck(conn, report)
    finally:
        await conn.close()
    return report


def _judge_version(report: CheckReport) -> None:
    if report.version == 0:
        report.problems.append("cơ sở dữ liệu chưa có lược đồ papibot (trống, hoặc sai tên cơ sở dữ liệu)")
    elif report.version > SCHEMA_VERSION:
        report.problems.append(f"lược đồ phiên bản {report.version} mới hơn papibot này ({SCHEMA_VERSION})")
    elif report.version < SCHEMA_VERSION:
        report.notes.append(f"lược đồ phiên bản {report.version} cũ hơn papibot này ({SCHEMA_VERSION}): "
                            "papibot sẽ nâng cấp khi khởi động")


async def _read_tables(conn: asyncpg.Connection, report: CheckReport) -> None:
    """Every row of every table, each column included (row-to-text reads even out-of-line values)."""
    for table in TABLES:
        if await conn.fetchval("SELECT to_regclass($1)", table) is None:
            if report.version >= SCHEMA_VERSION:  # an older schema lacks the newer tables, as it should
                report.problems.append(f"thiếu bảng {table}")
            continue
        try:
            report.counts[table] = int(await conn.fetchval(
                f"SELECT count(*) FROM (SELECT length(t::text) FROM {table} t) rows"))
        except asyncpg.PostgresError as exc:
            report.problems.append(f"bảng {table}: {exc}")


async def _amcheck(conn: asyncpg.Connection, report: CheckReport) -> None:
    """bt_index_check on every B-tree index, inside a transaction rolled back at the end."""
    try:
        async with conn.transaction():
            try:
                async with conn.transaction():
                    await conn.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
            except asyncpg.PostgresError as exc:
                report.notes.append(f"bỏ qua amcheck (cần quyền tạo extension amcheck): {exc}")
                raise _Rollback from exc
            checked = 0
            for oid, name in await conn.fetch(_INDEXES, list(TABLES)):
                try:
                    async with conn.transaction():
                        await conn.execute("SELECT bt_index_check($1::oid::regclass, true)", oid)
                    checked += 1
                except asyncpg.PostgresError as exc:
                    report.problems.append(f"chỉ mục {name}: {exc}")
            report.notes.append(f"amcheck: đã kiểm tra {checked} chỉ mục")
            raise _Rollback
    except _Rollback:
        pass
