"""Real `papibot run` processes for scale-out tests and benchmarks, and the load balancer in front of them.

Each process serves every webhook on its own HTTP port; the balancer hands each delivery to the next process
in turn and, when a process refuses or drops it (connection refused or reset, HTTP 5xx), to another one, as
a reverse proxy in front of several processes (and Telegram's or Zalo's own retries) would.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from tests.fakebotapi import FakeBotAPI
from tests.fakezalo import FakeZaloOA

ROOT = Path(__file__).resolve().parents[1]
SECRET = "scale-out-webhook-secret"
TELEGRAM_PATH, ZALO_PATH = "/telegram/webhook", "/zalo/oa/webhook"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bot_env(tg: FakeBotAPI, oa: FakeZaloOA, db_url: str, data_dir: Path, port: int) -> dict[str, str]:
    """Settings of one `papibot run` process: both channels in webhook mode on the fakes, one shared database."""
    return {**os.environ, "TELEGRAM_BOT_TOKEN": tg.token, "PAPIBOT_TELEGRAM_API": tg.url,
            "PAPIBOT_WEBHOOK_URL": f"https://bot.example.invalid{TELEGRAM_PATH}", "PAPIBOT_WEBHOOK_SECRET": SECRET,
            "PAPIBOT_ZALO_OA_APP_ID": oa.app_id, "PAPIBOT_ZALO_OA_APP_SECRET": oa.app_secret,
            "PAPIBOT_ZALO_OA_SECRET_KEY": oa.oa_secret_key, "PAPIBOT_ZALO_OA_REFRESH_TOKEN": oa.refresh_token,
            "PAPIBOT_ZALO_OA_ID": oa.oa_id, "PAPIBOT_ZALO_OA_API": oa.url, "PAPIBOT_ZALO_OAUTH_API": oa.url,
            "PAPIBOT_DB": db_url, "PAPIBOT_DATA_DIR": str(data_dir), "PAPIBOT_HTTP_PORT": str(port),
            "PAPIBOT_WEB_PORT": "0", "PAPIBOT_RATE_LIMIT": "0"}


class BotProcess:
    """One `papibot run` subprocess with its log file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log, self.port = env, log, int(env["PAPIBOT_HTTP_PORT"])
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> BotProcess:
        """Start the process (returns at once; see ready())."""
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "app.cli", "run"], cwd=ROOT, env=self.env,
                                         stdout=out, stderr=subprocess.STDOUT)
        return self

    @property
    def pid(self) -> int:
        """The process id."""
        assert self.proc is not None
        return self.proc.pid

    async def ready(self, timeout: float = 60.0) -> None:
        """Wait until /healthz answers 200 (channels started, webhook set); AssertionError with the log if not."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2) as client:
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    if (await client.get(f"http://127.0.0.1:{self.port}/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"papibot on port {self.port} did not start:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown at all."""
        os.kill(self.pid, signal.SIGKILL)
        assert self.proc is not None
        self.proc.wait(10)

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait; the exit status (killed with SIGKILL after `timeout`)."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(10)

    def tail(self, lines: int = 40) -> str:
        """The end of the log, for failure messages."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


async def start_bots(tg: FakeBotAPI, oa: FakeZaloOA, db_url: str, workdir: Path, count: int,
                     started: Callable[[list[BotProcess]], Awaitable[None]] | None = None) -> list[BotProcess]:
    """`count` processes on one database and one data directory, started together, each on its own port.

    `started`, when given, is awaited once every process has been started and before waiting for them.
    """
    data = workdir / "data"
    data.mkdir(parents=True, exist_ok=True)
    bots = [BotProcess(bot_env(tg, oa, db_url, data, free_port()), workdir / f"bot{i}.log").start()
            for i in range(count)]
    try:
        if started is not None:
            await started(bots)
        await asyncio.gather(*(b.ready() for b in bots))
    except BaseException:
        for b in bots:
            b.stop(5)
        raise
    return bots


class Balancer:
    """Round robin over the processes; a delivery refused, dropped or answered 5xx is tried on the next one."""

    def __init__(self, ports: list[int], client: httpx.AsyncClient, give_up: float = 60.0) -> None:
        self.ports, self.client, self.give_up = ports, client, give_up
        self._turn = itertools.count()
        self.in_flight: Counter[int] = Counter()  # deliveries awaiting an answer, per port
        self.retried = 0  # deliveries handed to another process after a failure

    async def deliver(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        """POST to one process after another until one answers below 500; the final HTTP status."""
        first = next(self._turn)
        deadline = time.monotonic() + self.give_up
        for attempt in itertools.count():
            port = self.ports[(first + attempt) % len(self.ports)]
            self.in_flight[port] += 1
            try:
                response = await self.client.post(f"http://127.0.0.1:{port}{path}", content=body, headers=headers)
                if response.status_code < 500:
                    return response.status_code
            except httpx.TransportError:
                pass  # refused, reset or timed out: another process gets it
            finally:
                self.in_flight[port] -= 1
            self.retried += 1
            if time.monotonic() > deadline:
                raise AssertionError(f"no process took the delivery to {path} within {self.give_up} s")
            if attempt % len(self.ports) == len(self.ports) - 1:
                await asyncio.sleep(0.5)  # every process failed it: wait a little, as a platform backs off
        raise AssertionError("unreachable")
