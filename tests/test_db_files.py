"""The database as a file an operator can get wrong: a read-only file or folder, an emptied file.

The commands run as the real CLI, in a subprocess, as an unprivileged user: as root (which ignores
permission bits) they run as `nobody`, else as the user running the tests.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.kernel.config import load_config
from bot.kernel.models import CITIZEN, User
from bot.store.sqlite import DatabaseError
from bot.store.storage import Storage
from tests.procs import ROOT, free_port

QUESTION = "cấp phép bay flycam quay phim đám cưới"
WITHIN = 5.0  # seconds every refused command must take at most, start-up included


@dataclass(frozen=True)
class Runner:
    """How to run the CLI as a user that permission bits apply to."""

    python: str
    env: dict[str, str]
    demote: Callable[[], None] | None
    uid: int

    def papibot(self, data: Path, *args: str, stdin: str = "") -> tuple[int, str, float]:
        """Run `papibot ARGS` on the data folder `data`: (exit status, standard error, seconds taken)."""
        env = {**self.env, "PAPIBOT_DATA_DIR": str(data), "PAPIBOT_HTTP_PORT": str(free_port()),
               "PAPIBOT_WEB_PORT": str(free_port()), "TELEGRAM_BOT_TOKEN": "123:fake",
               "PAPIBOT_TELEGRAM_API": "http://127.0.0.1:9"}  # a channel configured: `run` is the real one
        started = time.monotonic()
        done = subprocess.run([self.python, "-m", "app.cli", *args], cwd=ROOT, env=env, input=stdin, text=True,
                              capture_output=True, timeout=60, preexec_fn=self.demote)
        return done.returncode, done.stderr, time.monotonic() - started


def _as(uid: int, gid: int) -> Callable[[], None]:
    def demote() -> None:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    return demote


@pytest.fixture(scope="module")
def runner() -> Runner:
    """Ourselves when unprivileged; as root, `nobody` with a Python interpreter that user may run."""
    base = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8"}
    if os.geteuid() != 0:
        return Runner(sys.executable, base, None, os.geteuid())
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("running as root, which ignores permission bits, and there is no user `nobody` to run as")
    # Our interpreter may sit in a folder only root may enter (pyenv under /root): then the system's
    # interpreter of the same version, with our packages on its path.
    paths = os.pathsep.join(dict.fromkeys([str(ROOT), sysconfig.get_paths()["purelib"],
                                           sysconfig.get_paths()["platlib"]]))
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    env, demote = {**base, "PYTHONPATH": paths, "HOME": "/"}, _as(nobody.pw_uid, nobody.pw_gid)
    found = shutil.which(version, path="/usr/local/bin:/usr/bin")
    for python in dict.fromkeys([sys.executable, *([found] if found else [])]):
        try:
            probe = subprocess.run([python, "-c", "import app.cli"], cwd="/", env=env, preexec_fn=demote,
                                   capture_output=True, timeout=60)
        except OSError:  # nobody may not even execute it
            continue
        if probe.returncode == 0:
            return Runner(python, env, demote, nobody.pw_uid)
    pytest.skip(f"running as root, which ignores permission bits, and user `nobody` can run no {version} "
                "that imports papibot")


@pytest.fixture
def data(runner: Runner) -> Iterator[Path]:
    """A data folder with a database holding one pending ticket, owned by the user the commands run as."""
    root = Path(tempfile.mkdtemp(prefix="papibot-rights-"))  # tmp_path may be closed to other users
    folder = root / "data"
    folder.mkdir()

    async def seed() -> None:
        storage = await Storage.open(load_config({}, data_dir=folder))
        await storage.tickets.create(User("telegram", "71", "71", "Dân", CITIZEN), QUESTION, "flycam")
        await storage.close()

    asyncio.run(seed())
    for path in (root, folder, *folder.iterdir()):
        os.chown(path, runner.uid, -1)
    root.chmod(0o755)
    try:
        yield folder
    finally:
        folder.chmod(0o755)
        shutil.rmtree(root)


def _refused_for_want_of(rc: int, stderr: str, took: float, path: Path) -> None:
    """The command stopped within WITHIN seconds, naming the path and the right, with no traceback or restore."""
    assert rc != 0 and took < WITHIN, (rc, took, stderr)
    assert "Traceback" not in stderr and "Error:" not in stderr, stderr
    assert f"{path} " in stderr or f"{path}," in stderr or f"{path}." in stderr, stderr
    assert "không có quyền ghi (w)" in stderr, stderr
    assert "khôi phục" not in stderr and "restore" not in stderr.lower(), stderr  # the data is intact


@pytest.mark.parametrize("args, stdin", [(("purge",), ""), (("queue", "close", "1", "trùng"), ""),
                                         (("queue", "answer", "1", "Liên hệ Cảng vụ hàng không."), ""),
                                         (("chat",), f"{QUESTION} ở bản Mồ\n"), (("run",), "")],
                         ids=["purge", "queue-close", "queue-answer", "chat-question", "run"])
def test_a_read_only_database_file_stops_each_command_with_the_right_named(runner: Runner, data: Path,
                                                                          args: tuple[str, ...], stdin: str) -> None:
    database = data / "papibot.db"
    database.chmod(0o444)
    rc, stderr, took = runner.papibot(data, *args, stdin=stdin)
    _refused_for_want_of(rc, stderr, took, database)
    database.chmod(0o644)
    assert runner.papibot(data, "queue", "list")[0] == 0  # nothing was harmed meanwhile


@pytest.mark.parametrize("args", [("run",), ("web",), ("chat",), ("db", "backup"), ("queue", "list"),
                                  ("report", "--out", "{data}/phu-luc.md")],
                         ids=["run", "web", "chat", "db-backup", "queue-list", "report"])
def test_a_read_only_data_folder_stops_each_command_with_the_right_named(runner: Runner, data: Path,
                                                                        args: tuple[str, ...]) -> None:
    (data / "papibot.db.lock").unlink(missing_ok=True)  # a first start on this folder: no lock file yet
    data.chmod(0o555)
    rc, stderr, took = runner.papibot(data, *(a.format(data=data) for a in args), stdin=f"{QUESTION}\n")
    _refused_for_want_of(rc, stderr, took, data)


async def test_an_emptied_database_file_is_refused_when_backups_exist(tmp_path: Path) -> None:
    config = load_config({}, data_dir=tmp_path / "data")
    config.data_dir.mkdir()
    config.db_path.write_bytes(b"")  # a first start on an empty file: silently a new database
    storage = await Storage.open(config)
    await storage.tickets.create(User("telegram", "71", "71", "Dân", CITIZEN), QUESTION, "flycam")
    await storage.close()
    env = {"PATH": "/usr/bin:/bin", "PAPIBOT_DATA_DIR": str(config.data_dir)}
    assert subprocess.run([sys.executable, "-m", "app.cli", "db", "backup"], cwd=ROOT, env=env,
                          capture_output=True, timeout=60).returncode == 0
    [newest] = (config.data_dir / "backups").glob("papibot-*.db")
    shutil.copy(newest, newest.with_name("papibot-20200101T000000Z.db"))  # an older one beside it
    config.db_path.write_bytes(b"")  # an operator's mistake, or a disk that lost the file's blocks
    with pytest.raises(DatabaseError, match=newest.name):
        await Storage.open(config)
    run = subprocess.run([sys.executable, "-m", "app.cli", "queue", "list"], cwd=ROOT, env=env, text=True,
                         capture_output=True, timeout=60)
    assert run.returncode == 2 and f"papibot db restore {newest}" in run.stderr and "Traceback" not in run.stderr
    assert config.db_path.stat().st_size == 0  # no new database was made over it
    restore = subprocess.run([sys.executable, "-m", "app.cli", "db", "restore", str(newest)], cwd=ROOT, env=env,
                             capture_output=True, timeout=60)
    assert restore.returncode == 0
    storage = await Storage.open(config)
    try:
        assert [t.question for t in await storage.tickets.by_status()] == [QUESTION]
    finally:
        await storage.close()
