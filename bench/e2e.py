"""End to end: the real `papibot run` process against the local Bot API fake, many citizens at once."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tests.fakebotapi import FakeBotAPI
from tests.test_telegram_e2e import free_port

ROOT = Path(__file__).resolve().parents[1]
KNOWN = ["làm sổ đỏ lần đầu cần giấy tờ gì", "cap lai cccd bi mat", "xin giay doc than o dau",
         "đổi bằng lái xe hết hạn", "đăng ký khai sinh cho con", "tra cuu ho so da nop"]


def _citizen(fake: FakeBotAPI, user_id: int, messages: int, latencies: list[float], lost: list[int],
             rng: random.Random) -> None:
    """One citizen: ask, wait for the reply, think a moment, ask again."""
    for i in range(messages):
        text = f"thủ tục lạ số {user_id}-{i} chưa có trong danh mục" if rng.random() < 0.3 else rng.choice(KNOWN)
        before = len(fake.sent(user_id))
        t0 = time.perf_counter()
        fake.inject_message(user_id, text)
        try:
            fake.wait_sent(user_id, before + 1, timeout=15.0)
        except AssertionError:
            lost.append(user_id)
            continue
        latencies.append((time.perf_counter() - t0) * 1000)
        # A person reads and types for a few seconds; 50 of them then stay under Telegram's 30 messages/s.
        time.sleep(2.0 + rng.random())


def bench_e2e(citizens: int = 50, messages_each: int = 20) -> dict[str, object]:
    """Latency from injection to reply, and messages lost, with citizens talking concurrently."""
    with FakeBotAPI() as fake, tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "PAPIBOT_TELEGRAM_API": fake.url,
               "PAPIBOT_DB": str(Path(tmp) / "e2e.db"), "PAPIBOT_RATE_LIMIT": "0",
               "PAPIBOT_HTTP_PORT": str(free_port()), "PAPIBOT_WEB_PORT": "0"}
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "run"], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while "getUpdates" not in fake.calls and time.monotonic() < deadline:
                time.sleep(0.05)
            latencies: list[float] = []
            lost: list[int] = []
            threads = [threading.Thread(target=_citizen, args=(fake, 10_000 + c, messages_each, latencies, lost,
                                                               random.Random(c))) for c in range(citizens)]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - t0
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    ordered = sorted(latencies)
    pick = lambda q: round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1) if ordered else None  # noqa: E731
    return {"citizens": citizens, "messages_each": messages_each, "replies": len(latencies), "lost": len(lost),
            "p50_ms": pick(0.5), "p99_ms": pick(0.99), "seconds": round(elapsed, 1)}
