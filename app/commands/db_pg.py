"""`papibot db check|backup|restore` when PAPIBOT_DB is a postgresql:// URL."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.kernel.config import Config
from bot.ops.backup import BackupResult
from bot.ops.pg_backup import pg_backup, pg_restore, version_note
from bot.ops.pg_check import MAIN_TABLES, pg_check
from bot.store.schema import SCHEMA_VERSION
from bot.store.snapshots import BackupError


def report_backup(result: BackupResult, keep: int) -> None:
    """Print what a backup wrote and pruned (both backends)."""
    print(f"Đã sao lưu (đã kiểm tra): {result.database}")
    if result.removed:
        print(f"Đã xóa {len(result.removed)} tệp sao lưu cũ (giữ {keep} bản mới nhất).")


async def backup(config: Config, to_dir: Path, keep: int) -> int:
    """pg_dump into the backups folder (learned knowledge included); keeps the newest `keep`."""
    try:
        result = await pg_backup(config.db_url, to_dir, keep)
    except BackupError as exc:
        print(f"papibot db backup: {exc}", file=sys.stderr)
        return 1
    report_backup(result, keep)
    return 0


async def restore(config: Config, source: Path, force: bool) -> int:
    """pg_restore a dump over the configured database; refused while papibot is connected unless `force`."""
    try:
        report = await pg_restore(config.db_url, source, config.data_dir / "backups", force)
    except BackupError as exc:
        print(f"papibot db restore: {exc}", file=sys.stderr)
        return 1
    print(f"Đã khôi phục cơ sở dữ liệu PostgreSQL từ {source}.")
    if report.saved:
        print(f"Dữ liệu trước khi khôi phục được giữ lại tại {report.saved}.")
    print(version_note(report.version))
    print(f"Số phiếu (tickets): {report.tickets}; số câu hỏi (questions): {report.questions}.")
    if force:
        print("Hãy khởi động lại mọi tiến trình papibot (systemctl restart papibot).")
    return 0


async def check(config: Config) -> int:
    """Server and schema versions, row counts, amcheck; exit 1 on any problem."""
    try:
        report = await pg_check(config.db_url)
    except BackupError as exc:
        print(f"papibot db check: {exc}", file=sys.stderr)
        return 1
    print(f"Máy chủ PostgreSQL {report.server}")
    print(f"Phiên bản lược đồ: {report.version} (papibot này: {SCHEMA_VERSION})")
    for table in MAIN_TABLES:
        if table in report.counts:
            print(f"  {table}: {report.counts[table]}")
    print(f"Đã đọc hết {len(report.counts)} bảng.")
    for note in report.notes:
        print(f"Ghi chú: {note}")
    for problem in report.problems:
        print(problem)
    if report.problems:
        print(f"{len(report.problems)} vấn đề; xem docs/operations.md (khôi phục bản sao lưu)", file=sys.stderr)
        return 1
    print("OK: cơ sở dữ liệu PostgreSQL dùng được.")
    return 0
