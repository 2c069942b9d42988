"""PostgreSQL's client programs (pg_dump, pg_restore): the newest one installed, run without a password in argv.

The password of the database URL goes to the child in its PGPASSWORD environment variable only: the command
line (visible to every user in the process list) and any message carry the URL without it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from bot.kernel.clock import SYSTEM, Clock
from bot.store.files import DatabaseError
from bot.store.snapshots import BackupError, stamp

log = logging.getLogger(__name__)
PG_LIB = Path("/usr/lib/postgresql")  # Debian installs each major version's programs under <version>/bin
APP_NAME = "papibot"  # application_name of the bot's own connections (what a restore looks for)
CLIENT_HINT = ("cài gói postgresql-client của Debian (apt-get install postgresql-client); phiên bản chính của "
               "pg_dump/pg_restore phải lớn hơn hoặc bằng phiên bản của máy chủ PostgreSQL")


class ToolMissing(BackupError):
    """pg_dump or pg_restore is not installed."""


def _major(program: Path) -> int:
    """The major version a client program reports (0 when it does not run)."""
    try:
        done = subprocess.run([str(program), "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return 0
    m = re.search(r"\)\s*(\d+)", done.stdout)
    return int(m[1]) if done.returncode == 0 and m else 0


def find_tool(name: str) -> Path:
    """The newest `name` among /usr/lib/postgresql/*/bin and PATH; ToolMissing (in Vietnamese) when none runs."""
    found = sorted(PG_LIB.glob(f"*/bin/{name}"))
    on_path = shutil.which(name)
    if on_path:
        found.append(Path(on_path))
    versions = {program: _major(program) for program in found}
    usable = [p for p, v in versions.items() if v]
    if not usable:
        raise ToolMissing(f"không tìm thấy {name} (trong PATH hoặc {PG_LIB}/*/bin): {CLIENT_HINT}")
    return max(usable, key=lambda p: versions[p])


def without_password(url: str) -> tuple[str, str]:
    """The URL with its password removed (from the user part and from the query), and that password."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    password = unquote(parts.password or "") or next((v for k, v in query if k == "password"), "")
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, hostport = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}@{hostport}" if user else hostport
    kept = urlencode([(k, v) for k, v in query if k != "password"])
    return urlunsplit((parts.scheme, netloc, parts.path, kept, parts.fragment)), password


def command(program: Path, url: str, *args: str) -> tuple[list[str], dict[str, str]]:
    """The argv (the URL without its password) and the environment (PGPASSWORD) to run `program` on `url`."""
    dsn, password = without_password(url)
    env = dict(os.environ)
    if password:
        env["PGPASSWORD"] = password
    return [str(program), f"--dbname={dsn}", *args], env


async def run(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run a client program to its end; its exit status and what it wrote on stderr."""
    proc = await asyncio.create_subprocess_exec(*argv, env=env, stdin=asyncio.subprocess.DEVNULL,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    text = err.decode("utf-8", "replace").strip()
    if env.get("PGPASSWORD"):
        text = text.replace(env["PGPASSWORD"], "***")  # a server never echoes it; be sure all the same
    return int(proc.returncode or 0), text


def _failure(what: str, err: str) -> str:
    hint = f" ({CLIENT_HINT})" if "version mismatch" in err or "unsupported version" in err else ""
    return f"{what} thất bại: {err.splitlines()[-1] if err else 'không rõ lỗi'}{hint}"


async def dump(url: str, target: Path) -> Path:
    """pg_dump --format=custom (one consistent snapshot) into `target`, checked by reading its table of contents."""
    pg_dump = await asyncio.to_thread(find_tool, "pg_dump")
    pg_restore = await asyncio.to_thread(find_tool, "pg_restore")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        status, err = await run(*command(pg_dump, url, "--format=custom", f"--file={partial}"))
        if status != 0:
            raise BackupError(_failure("pg_dump", err))
        if await _contents(pg_restore, partial) is None:
            raise BackupError(f"bản sao {target.name} không đọc lại được, đã bỏ")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


async def _contents(pg_restore: Path, archive: Path) -> str | None:
    """The archive's table of contents (`pg_restore --list`), None when it cannot be read."""
    listed = await asyncio.to_thread(subprocess.run, [str(pg_restore), "--list", str(archive)],
                                     capture_output=True, text=True, timeout=300)
    return listed.stdout if listed.returncode == 0 else None


async def dumped_tables(archive: Path) -> set[str]:
    """The names of the tables a pg_dump archive holds."""
    contents = await _contents(await asyncio.to_thread(find_tool, "pg_restore"), archive)
    if contents is None:
        raise BackupError(f"{archive} không đọc được (không phải tệp pg_dump --format=custom, hoặc đã hỏng)")
    return {m[1] for m in re.finditer(r"^\d+; \d+ \d+ TABLE \S+ (\S+) ", contents, re.MULTILINE)}


async def restore_dump(url: str, source: Path) -> None:
    """pg_restore a custom-format dump over the database, all or nothing."""
    pg_restore = await asyncio.to_thread(find_tool, "pg_restore")
    status, err = await run(*command(pg_restore, url, "--clean", "--if-exists", "--single-transaction",
                                     "--no-owner", str(source)))
    if status != 0:
        raise BackupError(_failure("pg_restore", err) + " (giao dịch khôi phục đã được hủy)")


@dataclass(frozen=True)
class MigrationBackup:
    """Where a schema migration's `before-vN` dump goes, and whether migrating without one is allowed."""

    url: str
    to_dir: Path
    optional: bool = False  # PAPIBOT_MIGRATE_WITHOUT_BACKUP=1
    clock: Clock = SYSTEM  # what names the dump's time

    async def take(self, version: int, target: int) -> Path | None:
        """Dump the database (at `version`) before it is migrated to `target`; refuse to go on without it."""
        self.to_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        when = stamp(clock=self.clock)
        path = self.to_dir / f"before-v{target}-{when}.dump"
        for n in range(2, 100):  # never overwrite an earlier dump taken within the same second
            if not path.exists():
                break
            path = self.to_dir / f"before-v{target}-{when}-{n}.dump"
        try:
            await dump(self.url, path)
        except BackupError as exc:
            if not self.optional:
                raise DatabaseError(
                    f"no backup before migrating the schema from version {version} to {target}: {exc}. "
                    "Không nâng cấp cơ sở dữ liệu khi chưa sao lưu được; cài pg_dump, hoặc đặt "
                    "PAPIBOT_MIGRATE_WITHOUT_BACKUP=1 nếu chấp nhận nâng cấp không có bản sao lưu.") from exc
            log.error("!!! MIGRATING THE SCHEMA FROM VERSION %s TO %s WITHOUT A BACKUP "
                      "(PAPIBOT_MIGRATE_WITHOUT_BACKUP=1): %s", version, target, exc)
            return None
        log.warning("database at schema version %s dumped to %s before upgrading to %s", version, path, target)
        return path
