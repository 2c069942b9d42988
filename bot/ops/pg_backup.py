"""Backups of a PostgreSQL database (pg_dump archives beside the SQLite copies) and a guarded pg_restore.

papibot's own connections carry application_name "papibot", so a restore can see in pg_stat_activity
whether the bot still runs anywhere (a PostgreSQL database is shared by several processes and machines,
where the SQLite lock file would only see this one).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from bot.ops.backup import BackupResult, DatabaseInUse, file_kind, new_target, prune
from bot.store.pg_tools import APP_NAME, dump, dumped_tables, restore_dump, without_password
from bot.store.postgres import pg_version
from bot.store.schema import SCHEMA_VERSION
from bot.store.schema_pg import TABLES
from bot.store.snapshots import BackupError, stamp

OWN_APP = "papibot-db"  # the tools' own sessions, not counted as a running bot
_OTHERS = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
           "AND application_name = $1 AND pid <> pg_backend_pid()")


@dataclass
class RestoreReport:
    """What a PostgreSQL restore found afterwards."""

    version: int
    tickets: int
    questions: int
    saved: Path | None  # the dump of the database as it was before the restore


async def connect(url: str) -> asyncpg.Connection:
    """One connection for the tools (not counted as papibot); BackupError when the server cannot be reached."""
    try:
        return await asyncpg.connect(url, server_settings={"application_name": OWN_APP})
    except (OSError, asyncpg.PostgresError) as exc:
        raise BackupError(f"không kết nối được cơ sở dữ liệu PostgreSQL {without_password(url)[0]}: {exc}") from exc


async def pg_backup(url: str, to_dir: Path, keep: int = 14, now: dt.datetime | None = None) -> BackupResult:
    """A checked pg_dump archive papibot-<time>.dump (learned knowledge included); prunes like the SQLite backups."""
    target = new_target(to_dir, "dump", keep, now)
    await dump(url, target)
    return BackupResult(target, prune(to_dir, keep))


async def _state(url: str) -> tuple[int, int]:
    """How many of papibot's own connections are open on the database, and its schema version."""
    conn = await connect(url)
    try:
        return int(await conn.fetchval(_OTHERS, APP_NAME)), await pg_version(conn)
    finally:
        await conn.close()


def _refuse_foreign(source: Path) -> None:
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    kind = file_kind(source)
    if kind == "sqlite":
        raise BackupError(f"{source} là bản sao lưu SQLite nhưng papibot đang dùng PostgreSQL: hãy chọn tệp "
                          "papibot-<thời điểm>.dump (để chuyển dữ liệu SQLite sang, dùng papibot db migrate-to)")
    if kind != "postgresql":
        raise BackupError(f"{source} không phải bản sao lưu pg_dump (--format=custom) của papibot")


async def pg_restore(url: str, source: Path, to_dir: Path, force: bool = False) -> RestoreReport:
    """Replace the database's content with a dump, after dumping the current one into `to_dir`.

    Refused while papibot is connected unless `force`; the learned knowledge is in the dump.
    """
    _refuse_foreign(source)
    tables = await dumped_tables(source)
    if "schema_version" not in tables:  # another application's dump: its --clean must not touch papibot's data
        raise BackupError(f"{source} không chứa cơ sở dữ liệu papibot (không có bảng schema_version)")
    others, version = await _state(url)
    if others and not force:
        raise DatabaseInUse(f"papibot vẫn đang kết nối cơ sở dữ liệu ({others} kết nối): dừng mọi tiến trình "
                            "papibot (systemctl stop papibot) rồi chạy lại, hoặc thêm --force")
    saved = None
    if version:  # keep what is replaced, as the SQLite restore keeps the old file
        to_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        saved = await dump(url, to_dir / f"before-restore-{stamp()}.dump")
    await _drop_tables_not_in(url, tables)
    try:
        await restore_dump(url, source)
    except BackupError as exc:
        raise BackupError(f"{exc}; dữ liệu trước đó được giữ tại {saved}" if saved else str(exc)) from exc
    conn = await connect(url)
    try:
        version = await pg_version(conn)
        counts = [int(await conn.fetchval(f"SELECT count(*) FROM {t}")) if version else 0
                  for t in ("tickets", "questions")]
    finally:
        await conn.close()
    return RestoreReport(version, counts[0], counts[1], saved)


async def _drop_tables_not_in(url: str, keep: set[str]) -> None:
    """Drop the tables a newer schema added that the dump lacks (pg_restore --clean only drops what it restores).

    Without this, restoring a before-vN dump would leave version N's tables behind, and upgrading again
    would fail on them. They are in the before-restore dump.
    """
    conn = await connect(url)
    try:
        async with conn.transaction():
            for table in (*TABLES, "schema_version"):  # papibot's own tables: nothing else is touched
                if table not in keep:
                    await conn.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    finally:
        await conn.close()


def version_note(version: int) -> str:
    """A line on how the restored schema version compares with this papibot's."""
    if version == 0:
        return "CẢNH BÁO: cơ sở dữ liệu không có lược đồ papibot (bản sao lưu của một cơ sở dữ liệu trống?)."
    if version == SCHEMA_VERSION:
        return f"Phiên bản lược đồ {version} (đúng với papibot này)."
    if version < SCHEMA_VERSION:
        return (f"Phiên bản lược đồ {version}, cũ hơn papibot này ({SCHEMA_VERSION}): papibot sẽ nâng cấp khi "
                "khởi động (sau khi sao lưu before-v…).")
    return (f"CẢNH BÁO: phiên bản lược đồ {version} mới hơn papibot này ({SCHEMA_VERSION}): papibot này sẽ "
            "không chạy trên dữ liệu đó; hãy cài bản papibot tương ứng.")
