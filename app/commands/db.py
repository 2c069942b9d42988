"""`papibot db ...`: the database's own commands: check, backup, restore (SQLite here, PostgreSQL in cli_db_pg)."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from app.commands import db_pg as cli_db_pg
from bot.kernel.config import Config
from bot.ops.backup import backup, restore
from bot.ops.pg_transfer import cmd_db_migrate_to
from bot.store.files import NoAccess, missing_access
from bot.store.snapshots import BackupError

Result = int | Coroutine[Any, Any, int]


def cmd_db_check(args: argparse.Namespace, config: Config) -> Result:
    """PRAGMA quick_check and foreign_key_check on the database file; exit 1 on any problem."""
    if config.db_url:
        return cli_db_pg.check(config)
    path = config.db_path
    if not path.exists():
        print(f"papibot: no database at {path}", file=sys.stderr)
        return 1
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as db:
            problems = [str(r[0]) for r in db.execute("PRAGMA quick_check")]
            problems = [] if problems == ["ok"] else problems
            problems += [f"foreign key: {r}" for r in db.execute("PRAGMA foreign_key_check")]
    except sqlite3.DatabaseError as exc:
        if denied := missing_access(path):  # SQLite reads a WAL database through files beside it
            print(f"papibot: {denied}", file=sys.stderr)
            return 2
        problems = [str(exc)]
    for problem in problems:
        print(problem)
    if problems:
        print(f"{path}: {len(problems)} problem(s); restore the last backup (docs/operations.md)", file=sys.stderr)
        return 1
    print(f"OK: {path}")
    return 0


def cmd_db_backup(args: argparse.Namespace, config: Config) -> Result:
    """A checked online copy of the database (learned knowledge included); keeps the newest --keep."""
    to_dir = Path(args.to) if args.to else config.data_dir / "backups"
    if config.db_url:
        return cli_db_pg.backup(config, to_dir, args.keep)
    try:
        result = backup(config.db_path, to_dir, args.keep)
    except (BackupError, NoAccess) as exc:
        print(f"papibot db backup: {exc}", file=sys.stderr)
        return 1
    cli_db_pg.report_backup(result, args.keep)
    return 0


def cmd_db_restore(args: argparse.Namespace, config: Config) -> Result:
    """Replace the database with a checked backup; refuses while papibot is running."""
    if config.db_url:
        return cli_db_pg.restore(config, Path(args.file), args.force)
    try:
        moved, learned = restore(config.db_path, config.learned_file, Path(args.file))
    except (BackupError, NoAccess) as exc:
        print(f"papibot db restore: {exc}", file=sys.stderr)
        return 1
    print(f"Đã khôi phục {config.db_path} từ {args.file}.")
    if moved:
        print(f"Cơ sở dữ liệu cũ được giữ lại tại {moved}.")
    if learned:
        print(f"Bản sao lưu cũ có tệp tri thức đã học riêng: đã đặt vào {config.learned_file}, "
              "bot sẽ nhập vào cơ sở dữ liệu khi khởi động.")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `papibot db` and its subcommands."""
    db = sub.add_parser("db", help="database tools").add_subparsers(dest="db_cmd", required=True)
    db.add_parser("check", help="check the database for corruption").set_defaults(func=cmd_db_check)
    bk = db.add_parser("backup", help="a consistent online copy (SQLite file or pg_dump archive)")
    bk.add_argument("--to", help="backup folder (default: <data dir>/backups)")
    bk.add_argument("--keep", type=int, default=14, help="how many backups to keep (default 14)")
    bk.set_defaults(func=cmd_db_backup)
    rs = db.add_parser("restore", help="replace the database with a backup (papibot must be stopped)")
    rs.add_argument("file", help="a papibot-<time>.db (SQLite) or papibot-<time>.dump (PostgreSQL) backup")
    rs.add_argument("--force", action="store_true",
                    help="PostgreSQL: restore even while papibot processes are connected")
    rs.set_defaults(func=cmd_db_restore)
    migrate = db.add_parser("migrate-to", help="copy the SQLite database into an empty PostgreSQL database")
    migrate.add_argument("url", help="postgresql://user:password@host/database")
    migrate.set_defaults(func=cmd_db_migrate_to)
