"""The Zalo OA path under load: a real `papibot run` process, many citizens posting signed webhook events at once.

Measures how fast Zalo hears 200 (it retries after 2 s without one) and checks that every acknowledged
message is answered exactly once.

The citizens are one asyncio client in a process of its own, writing pre-signed HTTP/1.1 requests on kept-alive
connections and reading the status and body: its measure is not stretched by the fake Zalo's server threads
(they share the benchmark's process and its GIL), and it costs the cores far less than papibot does (no HTTP
library's per-request work). The benchmark tells it on its standard input when each citizen's replies arrived
(paced runs wait for them).
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
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import IO

from tests.fakezalo import FakeZaloOA

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ["khai sinh", "khai tử", "xin giay doc than o dau", "cap lai cccd bi mat", "tra cuu ho so da nop"]
WEBHOOK = "/zalo/oa/webhook"
OFFICER = "bench-officer"
Requests = dict[str, list[bytes]]  # citizen -> their requests, serialised and signed


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


def _signed(fake: FakeZaloOA, user: str, n: int, port: int) -> list[bytes]:
    """A citizen's requests, serialised and signed before the clock starts (the load generator stays light)."""
    fake.user_wrote(user)  # inside Zalo's 7-day window
    out = []
    for i in range(n):
        event = fake.text_event(user, QUESTIONS[i % len(QUESTIONS)])
        body = json.dumps(event, ensure_ascii=False).encode()
        mac = fake.sign(body, event["timestamp"], "app_id")
        head = (f"POST {WEBHOOK} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                f"X-ZEvent-Signature: mac={mac}\r\nContent-Length: {len(body)}\r\n\r\n")
        out.append(head.encode() + body)
    return out


async def _answer(reader: asyncio.StreamReader) -> int:
    """The status of one HTTP/1.1 response, its body read."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return int(head.split(b" ", 2)[1])


class _Replies:
    """Each citizen's count of replies received, as the benchmark's watcher reports them (a JSON line each time)."""

    def __init__(self, lines: asyncio.StreamReader) -> None:
        self.counts: Counter[str] = Counter()
        self.changed = asyncio.Event()
        self.task = asyncio.create_task(self._read(lines))

    async def _read(self, lines: asyncio.StreamReader) -> None:
        while line := await lines.readline():
            self.counts.update(json.loads(line))
            self.changed.set()

    async def beyond(self, user: str, count: int, timeout: float) -> None:
        """Until `user` has more than `count` replies (or `timeout` s passed)."""
        deadline = time.monotonic() + timeout
        while self.counts[user] <= count and time.monotonic() < deadline:
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), deadline - time.monotonic())
            except TimeoutError:
                return


async def _citizens(port: int, requests: Requests, paced: bool, replies: _Replies) -> tuple[list[float], list[int]]:
    """All citizens at once, each on a kept-alive connection. Paced: like people, each waits for the reply, then
    reads and types for 2-3 s (as the Telegram benchmark does); unpaced: a burst with no pause at all."""
    rng = random.Random(7)
    acks: list[float] = []
    refused: list[int] = []

    async def citizen(user: str, mine: list[bytes]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for request in mine:
            before = replies.counts[user]
            t0 = time.perf_counter()
            for _ in range(2):  # once more on a new connection when the server had closed an idle one
                try:
                    writer.write(request)
                    status = await _answer(reader)
                    break
                except (ConnectionError, asyncio.IncompleteReadError):
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
            acks.append((time.perf_counter() - t0) * 1000)
            if status != 200:
                refused.append(status)
            if paced:
                await replies.beyond(user, before, 15)
                await asyncio.sleep(2.0 + rng.random())
        writer.close()

    await asyncio.gather(*(citizen(user, mine) for user, mine in requests.items()))
    return acks, refused


async def _client_main() -> tuple[list[float], list[int]]:
    lines = asyncio.StreamReader(limit=1 << 26)
    await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(lines), sys.stdin)
    job = json.loads(await lines.readline())
    requests = {user: [r.encode("latin-1") for r in mine] for user, mine in job["requests"].items()}
    replies = _Replies(lines)
    try:
        return await _citizens(job["port"], requests, job["paced"], replies)
    finally:
        replies.task.cancel()


def client() -> None:
    """The citizens' process: the job as a JSON line on standard input, then the replies' counts; prints
    [acks in ms, refused statuses] as JSON."""
    print(json.dumps(asyncio.run(_client_main())), flush=True)


def _watch(fake: FakeZaloOA, users: list[str], pipe: IO[bytes], done: threading.Event) -> None:
    """Tell the citizens' process, every 50 ms, how many more replies each of them received."""
    seen: Counter[str] = Counter()
    wanted = set(users)
    while not done.wait(0.05):
        now = Counter(m["user_id"] for m in fake.messages if m["user_id"] in wanted)
        fresh = {u: n - seen[u] for u, n in now.items() if n > seen[u]}
        if fresh:
            try:
                pipe.write(json.dumps(fresh).encode() + b"\n")
                pipe.flush()
            except OSError:  # the citizens are done
                return
            seen = now


def _run_citizens(fake: FakeZaloOA, requests: Requests, port: int, paced: bool) -> tuple[list[float], list[int]]:
    """The citizens in a process of their own."""
    child = subprocess.Popen([sys.executable, "-c", "from bench.zalo import client; client()"], cwd=ROOT,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert child.stdin is not None and child.stdout is not None
    serialised = {user: [r.decode("latin-1") for r in mine] for user, mine in requests.items()}
    job = {"port": port, "paced": paced, "requests": serialised}
    child.stdin.write(json.dumps(job).encode() + b"\n")
    child.stdin.flush()
    done = threading.Event()
    watcher = threading.Thread(target=_watch, args=(fake, list(requests), child.stdin, done), daemon=True)
    watcher.start()
    try:
        acks, refused = json.loads(child.stdout.read())
    finally:
        done.set()
        watcher.join()
        child.stdin.close()
        child.wait(10)
    return acks, refused


def _officer(fake: FakeZaloOA, url: str, every: float, done: threading.Event) -> None:
    """An officer reloading the knowledge every `every` s: slow work on papibot's main loop (loading, indexing)."""
    fake.user_wrote(OFFICER)
    while not done.wait(every):
        fake.post_event(url, fake.text_event(OFFICER, "/reload"))


def bench_zalo(citizens: int = 50, messages_each: int = 20, paced: bool = True,
               reloads_every: float | None = None) -> dict[str, object]:
    """Ack latency percentiles, and messages lost or duplicated, for citizens writing concurrently (with
    `reloads_every`, while an officer reloads the knowledge that often)."""
    with FakeZaloOA(access_token=None) as fake, tempfile.TemporaryDirectory() as tmp:
        port = _port()
        env = {**os.environ, "PAPIBOT_ZALO_OA_APP_ID": fake.app_id, "PAPIBOT_ZALO_OA_APP_SECRET": fake.app_secret,
               "PAPIBOT_ZALO_OA_SECRET_KEY": fake.oa_secret_key, "PAPIBOT_ZALO_OA_REFRESH_TOKEN": fake.refresh_token,
               "PAPIBOT_ZALO_OA_API": fake.url, "PAPIBOT_ZALO_OAUTH_API": fake.url, "PAPIBOT_RATE_LIMIT": "0",
               "PAPIBOT_DB": str(Path(tmp) / "zalo.db"), "PAPIBOT_HTTP_PORT": str(port),
               "PAPIBOT_WEB_PORT": "0", "PAPIBOT_ADMIN_IDS": f"zalo_oa:{OFFICER}"}
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "run"], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_healthy(port, proc)
            parts = _parts_per_question(fake, f"http://127.0.0.1:{port}{WEBHOOK}")
            users = [f"bench-{c}" for c in range(citizens)] if paced else [f"burst-{c}" for c in range(citizens)]
            requests = {u: _signed(fake, u, messages_each, port) for u in users}
            t0 = time.perf_counter()
            done = threading.Event()
            if reloads_every:
                args = (fake, f"http://127.0.0.1:{port}{WEBHOOK}", reloads_every, done)
                threading.Thread(target=_officer, args=args, daemon=True).start()
            try:
                acks, refused = _run_citizens(fake, requests, port, paced)
            finally:
                done.set()
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
    return {"citizens": citizens, "messages_each": messages_each, "paced": paced, "reloads_every": reloads_every,
            "ack_p50_ms": pick(0.5), "ack_p99_ms": pick(0.99),
            "refused": len(refused), "lost": max(0, expected - got), "duplicated": max(0, got - expected),
            "seconds": round(elapsed, 1)}


if __name__ == "__main__":
    print(bench_zalo())
    print(bench_zalo(paced=False))
