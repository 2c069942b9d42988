"""The citizen path in one process: messages per second through conversation, normalising, matching, rendering and
storage (SQLite, or PostgreSQL), and where each message's time goes."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.engine.services import Services, open_services
from bot.kernel.config import load_config
from bot.kernel.models import CITIZEN, User

ROOT = Path(__file__).resolve().parents[1]
MESSAGES = 3000
UNKNOWN = "flycam quay phim đám cưới lần {}"  # 30 % of the messages: no topic covers them, each becomes a ticket


def questions() -> list[str]:
    """The fixed list of realistic questions: the held-out paraphrases shipped with the tests."""
    out = []
    for path in sorted((ROOT / "tests" / "data").glob("heldout-*.tsv")):
        out += [line.split("\t", 1)[1] for line in path.read_text(encoding="utf-8").splitlines() if "\t" in line]
    return out


def _message(qs: list[str], i: int) -> tuple[User, str]:
    user = User("cli", str(i % 200), str(i % 200), "Công dân", CITIZEN)
    return user, UNKNOWN.format(i) if i % 10 < 3 else qs[i % len(qs)]


async def _opened(tmp: str, db: str) -> Services:
    return await open_services(load_config(env={}, data_dir=Path(tmp), db_path=db or Path(tmp) / "bench.db"))


async def bench_service(qs: list[str], n: int = MESSAGES, db: str = "") -> dict[str, object]:
    """Messages per second through the whole citizen path, 30 % of them unknown (queued): in a SQLite file, or
    in the PostgreSQL database `db` names."""
    with tempfile.TemporaryDirectory() as tmp:
        services = await _opened(tmp, db)
        try:
            t0 = time.perf_counter()
            for i in range(n):
                await services.citizen.ask(*_message(qs, i))
            elapsed = time.perf_counter() - t0
            _tickets, total = await services.storage.tickets.pending(1)
        finally:
            await services.close()
    return {"backend": "postgresql" if db else "sqlite", "messages": n, "unknown_share": 0.3,
            "per_second": round(n / elapsed), "tickets_written": total}


def median_of_three(run: Callable[[], dict[str, Any]]) -> dict[str, object]:
    """`run` three times: the median run, with every run's messages per second."""
    runs = sorted((run() for _ in range(3)), key=lambda r: int(r["per_second"]))
    return {**runs[1], "runs": [r["per_second"] for r in runs]}


class _Stopwatch:
    """Time spent in chosen methods of the running services, per stage name (wrapping them on the instance)."""

    def __init__(self) -> None:
        self.spent: defaultdict[str, float] = defaultdict(float)

    def time(self, owner: object, method: str, stage: str) -> None:
        """Add the wall time of every call of `owner.method` to `stage`."""
        inner = getattr(owner, method)
        if asyncio.iscoroutinefunction(inner):
            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                t0 = time.perf_counter()
                try:
                    return await inner(*args, **kwargs)
                finally:
                    self.spent[stage] += time.perf_counter() - t0
            setattr(owner, method, timed_async)
        else:
            def timed(*args: Any, **kwargs: Any) -> Any:
                t0 = time.perf_counter()
                try:
                    return inner(*args, **kwargs)
                finally:
                    self.spent[stage] += time.perf_counter() - t0
            setattr(owner, method, timed)


STAGES = (  # (stage, where: a path from the services object, method)
    ("read the conversation", "storage.conversations", "of"),
    ("normalise", "brain.matcher", "normalize"),
    ("match", "brain.matcher", "match_normalized"),
    ("decide (dialogue, incl. the two above)", "brain.dialogue", "decide"),
    ("render", "citizen.present", "decision"),
    ("render", "citizen.present", "queued"),
    ("render", "citizen.present", "smalltalk"),
    ("write (question, conversation)", "storage.questions", "log"),
    ("write (question, ticket, conversation)", "storage.questions", "queue"),
)


async def stage_profile(qs: list[str], n: int = MESSAGES) -> dict[str, object]:
    """Microseconds per message in each stage of the citizen path on SQLite (the rest: the use case itself)."""
    with tempfile.TemporaryDirectory() as tmp:
        services = await _opened(tmp, "")
        watch = _Stopwatch()
        for stage, path, method in STAGES:
            owner: Any = services
            for name in path.split("."):
                owner = getattr(owner, name)
            watch.time(owner, method, stage)
        try:
            t0 = time.perf_counter()
            for i in range(n):
                await services.citizen.ask(*_message(qs, i))
            total = time.perf_counter() - t0
        finally:
            await services.close()
    stages = {stage: round(spent / n * 1e6) for stage, spent in watch.spent.items()}
    return {"total_us": round(total / n * 1e6), "stages_us": stages}


def run_async(work: Callable[[], Awaitable[dict[str, object]]]) -> Callable[[], dict[str, object]]:
    """A blocking runner of `work` in an event loop of its own."""
    return lambda: asyncio.run(work())  # type: ignore[arg-type]


def median(values: list[float]) -> float:
    """The median, rounded to one decimal."""
    return round(statistics.median(values), 1)
