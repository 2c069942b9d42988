"""The SQLite database as a file: the errors it stops on, the rights papibot needs on it and its folder, and
whether its path still leads to the file papibot opened (an operator may delete or replace it while it runs).

Messages are for the officer at the console, so they are in Vietnamese and name the path and the missing
right; a missing right never means the data is damaged, so they never suggest a restore.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

# Files SQLite and papibot keep beside the database: WAL, its index, the "in use" lock (bot/ops/backup.py).
COMPANIONS = ("-wal", "-shm", ".lock")
RIGHTS = {os.R_OK: "đọc (r)", os.W_OK: "ghi (w)", os.X_OK: "truy cập (x)"}


RESTORE_HINT = ("Restore the last backup (docs/operations.md) / Cơ sở dữ liệu không dùng được: hãy khôi phục từ "
                "bản sao lưu gần nhất.")
# SQLite's messages for a write that failed through no fault of the data (sqlite3 gives no error codes
# before Python 3.11's sqlite_errorcode; the message is stable across versions).
UNAVAILABLE = ("database or disk is full", "disk i/o error", "readonly database", "unable to open database")


class DatabaseError(Exception):
    """The database cannot be used (newer than this papibot, unreadable, corrupt)."""


class StorageUnavailable(Exception):
    """The database cannot take a write now (disk full, read-only, I/O error): try again later."""


class NoAccess(Exception):
    """The user running papibot lacks a right papibot needs on a file or folder; the data itself is intact."""


def unavailable(exc: Exception) -> bool:
    """Whether SQLite refused for want of storage, rights or a working disk, not for the data."""
    return any(text in str(exc).lower() for text in UNAVAILABLE)


def unusable(path: Path, exc: Exception) -> Exception:
    """The error to stop on when SQLite cannot open `path`: only a file it finds damaged is sent to the backups."""
    if unavailable(exc):  # rights, disk, I/O: the file may well be intact
        problem = missing_access(path)
        return NoAccess(problem) if problem else DatabaseError(f"không mở được cơ sở dữ liệu {path}: {exc}")
    return DatabaseError(f"the database {path} is unusable: {exc}. {RESTORE_HINT}")


def _user() -> str:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # a uid with no name (containers): chown takes the number too
        return str(os.geteuid())


def runner() -> str:
    """Who this process runs as, as an officer would look it up: `name (uid N)`."""
    return f"{_user()} (uid {os.geteuid()})"


def _read_only_fs(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _denied(path: Path, right: int, folder: bool, purpose: str) -> str:
    kind = "thư mục" if folder else "tệp"
    owner = path if folder else path.parent
    if right == os.W_OK and _read_only_fs(path):
        return (f"{kind} {path} nằm trên hệ thống tệp chỉ đọc (read-only){purpose}: hãy gắn (mount) lại ổ đĩa "
                "cho phép ghi, hoặc đặt PAPIBOT_DATA_DIR vào một thư mục ghi được; dữ liệu không bị hỏng.")
    return (f"người dùng {runner()} không có quyền {RIGHTS[right]} {kind} {path}{purpose}. Hãy cấp quyền cho "
            f"người dùng chạy papibot (ví dụ: chown -R {_user()} {owner} && chmod -R u+rwX {owner}) rồi chạy lại; "
            "dữ liệu không bị hỏng.")


def folder_problem(folder: Path, purpose: str = "") -> str | None:
    """What keeps this process from creating files in `folder` (or creating the folder), or None."""
    folder = Path(os.path.abspath(folder))
    for step in (*reversed(folder.parents), folder):  # from the root down: the first folder in the way
        if not os.path.exists(step):  # to be created, in a parent found searchable above
            return None if os.access(step.parent, os.W_OK) else _denied(step.parent, os.W_OK, True, purpose)
        if not os.access(step, os.X_OK):
            return _denied(step, os.X_OK, True, purpose)
    return None if os.access(folder, os.W_OK) else _denied(folder, os.W_OK, True, purpose)


def missing_access(db_path: Path) -> str | None:
    """The first right papibot lacks to use the database at `db_path` (its folder and files), or None."""
    db_path = Path(os.path.abspath(db_path))
    names = ", ".join(db_path.name + suffix for suffix in COMPANIONS)
    problem = folder_problem(db_path.parent, f", nơi papibot tạo các tệp {names}")
    if problem:
        return problem
    files = (db_path, *(db_path.with_name(db_path.name + suffix) for suffix in COMPANIONS))
    return next((p for p in map(_file_problem, files) if p), None)


def _file_problem(path: Path) -> str | None:
    """The first of read and write this process may not do on an existing file, or None."""
    right = next((r for r in (os.R_OK, os.W_OK) if os.path.isfile(path) and not os.access(path, r)), None)
    return None if right is None else _denied(path, right, False, "")


def denied(exc: PermissionError) -> str:
    """Which right this process lacked where an operation was refused (a file's, else its folder's)."""
    if not exc.filename:
        return f"người dùng {runner()} thiếu quyền: {exc}"
    path = Path(os.path.abspath(exc.filename))
    folder = path if os.path.isdir(path) else path.parent
    return (_file_problem(path) or folder_problem(folder)
            or f"người dùng {runner()} không dùng được {path}: {exc.strerror}")


def file_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file, or None when it is gone."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


class OpenedFile:
    """The database file as it was opened; `gone()` once its path leads elsewhere or nowhere."""

    def __init__(self, path: Path | str | None) -> None:
        self.path = Path(path or ":memory:")  # None: a database server's, no file to lose
        self.identity = None if str(self.path) == ":memory:" else file_identity(self.path)

    def gone(self) -> bool:
        """True when the file was deleted or replaced since it was opened: a commit now would be lost."""
        return self.identity is not None and file_identity(self.path) != self.identity

    def lost(self) -> str:
        """What happened, for the officers and the logs."""
        return f"tệp cơ sở dữ liệu {self.path} đã bị xóa hoặc thay thế khi papibot đang chạy"
