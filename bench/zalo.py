"""The Zalo OA path under load: a real `papibot run` process, many citizens posting signed webhook events at once.

Measures how fast Zalo hears 200 (it retries after 2 s without one) and checks that every acknowledged
message is answered exactly once.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import httpx

from tests.fakezalo import FakeZaloOA

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ["khai sinh", "khai tử", "xin giay doc than o dau", "cap lai cccd bi mat", "tra cuu ho so da nop"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("papibot did not start")


def _parts_per_question(fake: FakeZaloOA, url: str) -> dict[str, int]:
    """How many messages each question's reply takes (long answers are split), asked once by a warm-up user."""
    parts = {}
    for q in QUESTIONS:
        before = len(fake.messages_to("warmup"))
        fake.post_event(url, fake.text_event("warmup", q))
        fake.wait_for(lambda m, b=before: len(fake.messages_to("warmup")) > b, timeout=15)
        time.sleep(0.3)  # the remaining parts of a long reply
        parts[q] = len(fake.messages_to("warmup")) - before
    return parts


def _signed(fake: FakeZaloOA, user: str, n: int) -> list[tuple[bytes, dict[str, str]]]:
    """A citizen's events, serialised and signed before the clock starts (the load generator stays light)."""
    fake.user_wrote(user)  # inside Zalo's 7-day window
    out = []
    for i in range(n):
        event = fake.text_event(user, QUESTIONS[i % len(QUESTIONS)])
        body = json.dumps(event, ensure_ascii=False).encode()
        mac = fake.sign(body, event["timestamp"], "app_id")
        out.append((body, {"X-ZEvent-Signature": f"mac={mac}", "Content-Type": "application/json"}))
    return out


async def _citizens(fake: FakeZaloOA, url: str, events: dict[str, list[tuple[bytes, dict[str, str]]]],
                    acks: list[float], refused: list[int], paced: bool) -> None:
    """All citizens at once over kept-alive connections. Paced: like people, each waits for the reply, then reads
    and types for 2-3 s (as the Telegram benchmark does); unpaced: a burst with no pause at all."""
    limits = httpx.Limits(max_connections=len(events), max_keepalive_connections=len(events))
    rng = random.Random(7)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:

        async def citizen(user: str, mine: list[tuple[bytes, dict[str, str]]]) -> None:
            for body, headers in mine:
                before = len(fake.messages_to(user))
                t0 = time.perf_counter()
                response = await client.post(url, content=body, headers=headers)
                acks.append((time.perf_counter() - t0) * 1000)
                if response.status_code != 200:
                    refused.append(response.status_code)
                if paced:
                    deadline = time.monotonic() + 15
                    while len(fake.messages_to(user)) <= before and time.monotonic() < deadline:
                        await asyncio.sleep(0.05)
                    await asyncio.sleep(2.0 + rng.random())

        await asyncio.gather(*(citizen(user, mine) for user, mine in events.items()))


def bench_zalo(citizens: int = 50, messages_each: int = 20, paced: bool = True) -> dict[str, object]:
    """Ack latency percentiles, and messages lost or duplicated, for citizens writing concurrently."""
    with FakeZaloOA(access_token=None) as fake, tempfile.TemporaryDirectory() as tmp:
        port = _port()
        env = {**os.environ, "PAPIBOT_ZALO_OA_APP_ID": fake.app_id, "PAPIBOT_ZALO_OA_APP_SECRET": fake.app_secret,
               "PAPIBOT_ZALO_OA_SECRET_KEY": fake.oa_secret_key, "PAPIBOT_ZALO_OA_REFRESH_TOKEN": fake.refresh_token,
               "PAPIBOT_ZALO_OA_API": fake.url, "PAPIBOT_ZALO_OAUTH_API": fake.url, "PAPIBOT_RATE_LIMIT": "0",
               "PAPIBOT_DB": str(Path(tmp) / "zalo.db"), "PAPIBOT_HTTP_PORT": str(port),
               "PAPIBOT_WEB_PORT": "0"}
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "run"], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_healthy(port, proc)
            url = f"http://127.0.0.1:{port}/zalo/oa/webhook"
            parts = _parts_per_question(fake, url)
            acks: list[float] = []
            refused: list[int] = []
            users = [f"bench-{c}" for c in range(citizens)] if paced else [f"burst-{c}" for c in range(citizens)]
            events = {u: _signed(fake, u, messages_each) for u in users}
            t0 = time.perf_counter()
            asyncio.run(_citizens(fake, url, events, acks, refused, paced))
            expected = citizens * sum(parts[QUESTIONS[i % len(QUESTIONS)]] for i in range(messages_each))
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                got = sum(len(fake.messages_to(u)) for u in users)
                if got >= expected:
                    break
                time.sleep(0.1)
            time.sleep(0.5)
            got = sum(len(fake.messages_to(u)) for u in users)
            elapsed = time.perf_counter() - t0
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    ordered = sorted(acks)
    pick = lambda q: round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)  # noqa: E731
    return {"citizens": citizens, "messages_each": messages_each, "paced": paced,
            "ack_p50_ms": pick(0.5), "ack_p99_ms": pick(0.99),
            "refused": len(refused), "lost": max(0, expected - got), "duplicated": max(0, got - expected),
            "seconds": round(elapsed, 1)}


if __name__ == "__main__":
    print(bench_zalo())
    print(bench_zalo(paced=False))
