"""A throwaway PostgreSQL server for the tests, from Debian's binaries, with a fresh database per test."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

ROLE = "papibot"


def pg_bin() -> Path | None:
    """The newest installed /usr/lib/postgresql/<version>/bin holding initdb, or None."""
    found = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    numbered = [p for p in found if re.fullmatch(r"\d+(\.\d+)?", p.parent.name)]
    return max(numbered, key=lambda p: float(p.parent.name)) if numbered else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """One server in a temporary directory, run as the `postgres` user when the tests run as root."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="papibot-pg-"))
        self.data, self.sock = self.root / "data", self.root / "sock"
        self.port = _free_port()
        self._names = itertools.count(1)

    def _as_owner(self, *argv: str) -> None:
        cmd = [str(a) for a in argv]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def start(self) -> PgServer:
        """initdb (trust authentication, no fsync) and start listening on 127.0.0.1."""
        self.sock.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.sock, "postgres")
        self._as_owner(self.bindir / "initdb", "-D", str(self.data), "-U", ROLE, "-A", "trust", "-E", "UTF8",
                       "--locale=C.UTF-8", "--no-sync")
        options = (f"-k {self.sock} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off"
                   " -c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
        self._as_owner(self.bindir / "pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-o", options,
                       "-w", "start")
        return self

    def url(self, database: str) -> str:
        """The URL of one database on this server."""
        return f"postgresql://{ROLE}@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str) -> None:
        """Run one statement as the superuser, in the maintenance database."""
        subprocess.run([str(self.bindir / "psql"), "-q", "-X", "-v", "ON_ERROR_STOP=1", "-d", self.url("postgres"),
                        "-c", statement], check=True, capture_output=True, timeout=60)

    def create_database(self) -> str:
        """A new empty database; its URL."""
        name = f"t{next(self._names)}"
        self.sql(f"CREATE DATABASE {name} TEMPLATE template0")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a test's database, whoever is still connected."""
        self.sql(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[-1]} WITH (FORCE)")

    def stop(self) -> None:
        """Stop the server and remove its directory."""
        try:
            self._as_owner(self.bindir / "pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
