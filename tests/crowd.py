"""Citizens writing to papibot through the balancer (Telegram updates, signed Zalo OA events), and what they got.

Each citizen writes, waits for the reply (or gives up after a timeout), thinks a moment, and writes again.
Shared by the three-process test and the scale-out benchmark.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.fakebotapi import FakeBotAPI
from tests.fakezalo import FakeZaloOA
from tests.procs import SECRET, TELEGRAM_PATH, ZALO_PATH, Balancer

ROOT = Path(__file__).resolve().parents[1]
OFFICER_MARK = "Cán bộ trả lời phiếu"  # every officer answer in these runs carries it, so it is never a "reply"
TICKET = re.compile(r"#\d+")  # ticket receipts and officer answers name their ticket: each text is sent once


def heldout() -> dict[str, list[str]]:
    """The held-out paraphrases shipped with the tests, by topic id: questions the knowledge base answers."""
    by_topic: dict[str, list[str]] = defaultdict(list)
    for path in sorted((ROOT / "tests" / "data").glob("heldout-*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "\t" in line:
                topic, text = line.split("\t", 1)
                by_topic[topic].append(text)
    return dict(by_topic)


def script(seed: int, messages: int, unknown_share: float) -> list[str]:
    """One citizen's messages: known questions on distinct topics, and questions no topic covers (tickets)."""
    rng = random.Random(seed)
    topics = heldout()
    chosen = rng.sample(sorted(topics), min(len(topics), messages))
    out = []
    for i in range(messages):
        if rng.random() < unknown_share:
            out.append(f"xin phép bay flycam quay phim đám cưới lần {seed}-{i} ở bản Áng")
        else:
            out.append(rng.choice(topics[chosen[i % len(chosen)]]))
    return out


class Mailbox:
    """What the fakes delivered, per recipient (`telegram:<chat>`, `zalo_oa:<user>`), read incrementally."""

    def __init__(self, tg: FakeBotAPI, oa: FakeZaloOA) -> None:
        self.tg, self.oa = tg, oa
        self._seen = {"telegram": 0, "zalo_oa": 0}
        self.texts: dict[str, list[str]] = defaultdict(list)
        self.replies: Counter[str] = Counter()  # messages that are not officer answers

    def poll(self) -> None:
        """Take in what was delivered since the last poll (the fakes' records only ever grow)."""
        # Reading the records past a cursor keeps a poll cheap however many messages were sent.
        for channel, fake, key in (("telegram", self.tg, "chat_id"), ("zalo_oa", self.oa, "user_id")):
            with fake.cond:
                new = [(str(m[key]), str(m["text"])) for m in fake._sent[self._seen[channel]:]]
                self._seen[channel] += len(new)
            for who, text in new:
                self.texts[f"{channel}:{who}"].append(text)
                if OFFICER_MARK not in text:
                    self.replies[f"{channel}:{who}"] += 1

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until stopped."""
        while not stop.is_set():
            self.poll()
            await asyncio.sleep(0.02)
        self.poll()

    def duplicates(self, said: list[Said]) -> int:
        """Messages delivered twice: a text naming a ticket seen again anywhere, or any text seen again between
        one citizen message and the next (two questions may well get the same answer; one question may not)."""
        starts: dict[str, list[int]] = defaultdict(list)
        for s in said:
            starts[s.who].append(s.first)
        extra = 0
        for who, texts in self.texts.items():
            numbered = Counter(t for t in texts if TICKET.search(t))
            extra += sum(n - 1 for n in numbered.values())
            bounds = [*sorted(starts.get(who, [])), len(texts)]
            for lo, hi in itertools.pairwise(bounds):
                window = Counter(t for t in texts[lo:hi] if not TICKET.search(t))
                extra += sum(n - 1 for n in window.values())
        return extra


@dataclass
class Said:
    """One citizen message and what became of it."""

    who: str  # channel:id
    update_id: str  # Telegram update_id or Zalo msg_id: the key of its row in `questions`
    text: str
    first: int = 0  # how many messages the citizen had received when this one was written
    sent: float = 0.0
    answered: float | None = None
    open_at_kill: bool = False  # written but not answered when a process was killed


@dataclass
class Crowd:
    """Citizens on both channels behind one balancer."""

    tg: FakeBotAPI
    oa: FakeZaloOA
    balancer: Balancer
    mailbox: Mailbox
    think: tuple[float, float] = (0.2, 0.6)  # seconds a citizen reads and types before the next message
    patience: float = 20.0  # seconds a citizen waits for a reply before writing the next message anyway
    said: list[Said] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)

    def _telegram(self, user: int, text: str) -> tuple[str, bytes, dict[str, str]]:
        uid = self.tg.inject_message(user, text)
        with self.tg.cond:  # the update as Telegram would POST it to the webhook
            body = json.dumps(self.tg._history[uid]).encode()
        return str(uid), body, {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}

    def _zalo(self, user: str, text: str) -> tuple[str, bytes, dict[str, str]]:
        event = self.oa.text_event(user, text)
        msg_id = event["message"]["msg_id"]
        self.oa.user_wrote(user, msg_id=msg_id)  # inside Zalo's 7-day window, as a real delivery makes it
        body = json.dumps(event, ensure_ascii=False).encode()
        mac = self.oa.sign(body, event["timestamp"])
        return msg_id, body, {"Content-Type": "application/json", "X-ZEvent-Signature": f"mac={mac}"}

    async def citizen(self, who: str, texts: list[str], seed: int) -> None:
        """Write each text, wait for the reply (or lose patience), think, write the next."""
        rng = random.Random(seed)
        channel, user = who.split(":", 1)
        for text in texts:
            update_id, body, headers = self._telegram(int(user), text) if channel == "telegram" else \
                self._zalo(user, text)
            said = Said(who, update_id, text, len(self.mailbox.texts[who]), time.perf_counter())
            self.said.append(said)
            before = self.mailbox.replies[who]
            status = await self.balancer.deliver(TELEGRAM_PATH if channel == "telegram" else ZALO_PATH, body,
                                                 headers)
            if status != 200:
                self.refused.append(status)
            deadline = time.monotonic() + self.patience
            while self.mailbox.replies[who] <= before and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            if self.mailbox.replies[who] > before:
                said.answered = time.perf_counter()
            await asyncio.sleep(rng.uniform(*self.think))

    async def run(self, telegram: int, zalo: int, messages: int, unknown_share: float,
                  during: Callable[[], object] | None = None) -> float:
        """All citizens at once; the seconds from the first message to the last reply."""
        people = [f"telegram:{20_000 + i}" for i in range(telegram)] + [f"zalo_oa:citizen-{i}" for i in range(zalo)]
        t0 = time.perf_counter()
        await asyncio.gather(*(self.citizen(who, script(n, messages, unknown_share), n)
                               for n, who in enumerate(people)))
        return time.perf_counter() - t0

    def mark_open(self) -> int:
        """Note the messages written but not answered yet (at a kill); how many."""
        open_now = [s for s in self.said if s.answered is None]
        for s in open_now:
            s.open_at_kill = True
        return len(open_now)

    def latencies_ms(self) -> list[float]:
        """Milliseconds from each message to its reply, answered messages only."""
        return [(s.answered - s.sent) * 1000 for s in self.said if s.answered is not None]


def pct(samples: list[float], q: float) -> float | None:
    """The q-th percentile (0-100), or None without samples."""
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))], 1) if ordered else None
