"""End to end on Telegram: a real `papibot run` process long-polling the local Bot API fake, many citizens at once.

Each citizen writes, waits for the reply, then reads and types for 2-3 s (people's pace, as the Zalo
benchmark paces its citizens) or writes again at once (back to back). The load generator is one asyncio
client, and a reply's time is the moment the fake received it, so a slow client never adds to the figure.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.fakebotapi import FakeBotAPI
from tests.test_telegram_e2e import free_port

ROOT = Path(__file__).resolve().parents[1]
KNOWN = ["làm sổ đỏ lần đầu cần giấy tờ gì", "cap lai cccd bi mat", "xin giay doc than o dau",
         "đổi bằng lái xe hết hạn", "đăng ký khai sinh cho con", "tra cuu ho so da nop"]
PATIENCE = 15.0  # seconds a citizen waits before counting the message lost


class Arrivals:
    """When each of the bot's messages reached the fake, per chat: read past a cursor by one watching task."""

    def __init__(self, fake: FakeBotAPI) -> None:
        self.fake = fake
        self.times: dict[int, list[float]] = {}
        self._seen = 0

    def poll(self) -> None:
        """Take in the messages the fake received since the last poll."""
        with self.fake.cond:
            new = [(m["chat_id"], at) for m, at in zip(self.fake._sent[self._seen:], self.fake.sent_at[self._seen:],
                                                       strict=True)]
            self._seen += len(new)
        for chat, at in new:
            self.times.setdefault(int(chat), []).append(at)

    async def watch(self, stop: asyncio.Event) -> None:
        """Poll every 10 ms until stopped."""
        while not stop.is_set():
            self.poll()
            await asyncio.sleep(0.01)

    async def reply(self, user_id: int, before: int) -> float | None:
        """When the bot's message number `before` (0-based) to `user_id` arrived; None when it never did."""
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            mine = self.times.get(user_id, [])
            if len(mine) > before:
                return mine[before]
            await asyncio.sleep(0.01)
        return None


async def _citizen(arrivals: Arrivals, user_id: int, messages: int, think: tuple[float, float],
                   latencies: list[float], lost: list[int]) -> None:
    rng = random.Random(user_id)
    await asyncio.sleep(rng.uniform(0.0, think[1]))  # people start at different moments, not on one signal
    for i in range(messages):
        text = f"thủ tục lạ số {user_id}-{i} chưa có trong danh mục" if rng.random() < 0.3 else rng.choice(KNOWN)
        arrivals.poll()
        before = len(arrivals.times.get(user_id, []))
        t0 = time.monotonic()
        arrivals.fake.inject_message(user_id, text)
        at = await arrivals.reply(user_id, before)
        if at is None:
            lost.append(user_id)
        else:
            latencies.append((at - t0) * 1000)
        await asyncio.sleep(rng.uniform(*think))  # the rest of a long reply arrives while the citizen reads


def bench_e2e(citizens: int = 50, messages_each: int = 20, paced: bool = True) -> dict[str, object]:
    """Latency from a message's arrival at the Bot API to the bot's reply there, and messages lost."""
    think = (2.0, 3.0) if paced else (0.0, 0.0)
    with FakeBotAPI() as fake, tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "PAPIBOT_TELEGRAM_API": fake.url,
               "PAPIBOT_DB": str(Path(tmp) / "e2e.db"), "PAPIBOT_DATA_DIR": tmp, "PAPIBOT_RATE_LIMIT": "0",
               "PAPIBOT_HTTP_PORT": str(free_port()), "PAPIBOT_WEB_PORT": "0"}
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "run"], env=env, cwd=ROOT,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while "getUpdates" not in fake.calls and time.monotonic() < deadline:
                time.sleep(0.05)
            latencies: list[float] = []
            lost: list[int] = []
            t0 = time.perf_counter()
            asyncio.run(_crowd(fake, citizens, messages_each, think, latencies, lost))
            elapsed = time.perf_counter() - t0
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    ordered = sorted(latencies)
    pick = lambda q: round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1) if ordered else None  # noqa: E731
    return {"citizens": citizens, "messages_each": messages_each, "paced": paced, "replies": len(latencies),
            "lost": len(lost), "p50_ms": pick(0.5), "p99_ms": pick(0.99), "seconds": round(elapsed, 1)}


async def _crowd(fake: FakeBotAPI, citizens: int, messages: int, think: tuple[float, float],
                 latencies: list[float], lost: list[int]) -> None:
    arrivals, stop = Arrivals(fake), asyncio.Event()
    watching = asyncio.create_task(arrivals.watch(stop))
    await asyncio.gather(*(_citizen(arrivals, 10_000 + c, messages, think, latencies, lost) for c in range(citizens)))
    stop.set()
    await watching


if __name__ == "__main__":
    print(bench_e2e())
    print(bench_e2e(paced=False))
