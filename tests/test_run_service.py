"""`papibot run` as a service manager starts it: no terminal, perhaps no channel yet (an office waiting for its
Zalo OA's approval trains its officers on the web console), and /healthz naming the channels that run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.fakebotapi import FakeBotAPI
from tests.procs import free_port
from tests.webkit import PASSWORD, csrf

ROOT = Path(__file__).resolve().parents[1]
NO_CHANNEL_LOG = "Chưa cấu hình kênh nào"


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    """A clean environment: no channel settings inherited from the machine, a fresh data directory."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PAPIBOT_", "TELEGRAM_", "ZALO_"))}
    return {**env, "PAPIBOT_DATA_DIR": str(tmp / "data"), "PAPIBOT_HTTP_PORT": str(free_port()),
            "PAPIBOT_WEB_PORT": str(free_port()), **extra}


def _add_officer(env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", "app.cli", "user", "add", "lan", "--role", "admin", "--name",
                           "Nguyễn Thị Lan"], input=f"{PASSWORD}\n", capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr


@contextmanager
def _papibot_run(env: dict[str, str], log: Path, close_stdin: bool) -> Iterator[subprocess.Popen[bytes]]:
    """`papibot run` with standard input closed (as systemd may leave it) or on /dev/null (as Docker does)."""
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "run"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                preexec_fn=(lambda: os.close(0)) if close_stdin else None)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def _healthz(env: dict[str, str], proc: subprocess.Popen[bytes], log: Path) -> Any:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            response = httpx.get(f"http://127.0.0.1:{env['PAPIBOT_HTTP_PORT']}/healthz", timeout=2)
            if response.status_code == 200:
                return response.json()
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # polling a starting process, not waiting for a fixed time
    raise AssertionError(f"/healthz never answered (exit {proc.poll()}):\n{log.read_text(errors='replace')}")


def test_without_a_terminal_or_a_channel_it_serves_the_console_and_says_so_once(tmp_path: Path) -> None:
    env = _env(tmp_path)
    _add_officer(env)
    log = tmp_path / "run.log"
    with _papibot_run(env, log, close_stdin=True) as proc:
        health = _healthz(env, proc, log)
        assert health["channels"] == {} and "no channel is configured" in health["warning"]
        with httpx.Client(base_url=f"http://127.0.0.1:{env['PAPIBOT_WEB_PORT']}", timeout=10) as web:
            page = web.get("/login")
            signed_in = web.post("/login", data={"username": "lan", "password": PASSWORD, "csrf": csrf(page.text)},
                                 follow_redirects=True)
            assert signed_in.status_code == 200 and "Nguyễn Thị Lan" in signed_in.text
            inbox = web.get("/inbox")
            assert inbox.status_code == 200 and "chưa cấu hình kênh nào" in inbox.text
        assert proc.poll() is None  # still serving: not a console chat that ended on closed input
    assert proc.returncode == 0
    text = log.read_text(errors="replace")
    assert text.count(NO_CHANNEL_LOG) == 1 and "mở trò chuyện trên console" not in text, text
    assert "Traceback" not in text


def test_with_a_channel_healthz_lists_it(tmp_path: Path) -> None:
    with FakeBotAPI("123456:fake-token-service") as fake:
        env = _env(tmp_path, TELEGRAM_BOT_TOKEN=fake.token, PAPIBOT_TELEGRAM_API=fake.url)
        log = tmp_path / "run.log"
        with _papibot_run(env, log, close_stdin=False) as proc:
            health = _healthz(env, proc, log)
            assert list(health["channels"]) == ["telegram"]
            assert "no channel" not in health.get("warning", "")
        assert NO_CHANNEL_LOG not in log.read_text(errors="replace")
