"""`papibot db ...`: the database's own commands (check today; backup, restore and migration belong here too)."""

from __future__ import annotations

import argparse
import sqlite3
import sys

from bot.config import Config
from bot.migrate_pg import cmd_db_migrate_to


def cmd_db_check(args: argparse.Namespace, config: Config) -> int:
    """PRAGMA quick_check and foreign_key_check on the database file; exit 1 on any problem."""
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
        problems = [str(exc)]
    for problem in problems:
        print(problem)
    if problems:
        print(f"{path}: {len(problems)} problem(s); restore the last backup (docs/operations.md)", file=sys.stderr)
        return 1
    print(f"OK: {path}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `papibot db` and its subcommands."""
    db = sub.add_parser("db", help="database tools").add_subparsers(dest="db_cmd", required=True)
    db.add_parser("check", help="check the database file for corruption").set_defaults(func=cmd_db_check)
    migrate = db.add_parser("migrate-to", help="copy the SQLite database into an empty PostgreSQL database")
    migrate.add_argument("url", help="postgresql://user:password@host/database")
    migrate.set_defaults(func=cmd_db_migrate_to)
