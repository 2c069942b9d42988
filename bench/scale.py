"""Scale-out on PostgreSQL: 1, 2 and 3 real `papibot run` processes on one throwaway server, behind the balancer.

Citizens on Telegram and Zalo OA write without pausing (each waits for its reply, then writes again), so the
figures are what the processes can take, not what people send. The load generator and the fakes run in this
process and share the machine's cores with the bots: read the figures as a whole-machine measure.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from tests.crowd import Crowd, Mailbox, pct
from tests.fakebotapi import FakeBotAPI
from tests.fakezalo import FakeZaloOA
from tests.pgserver import PgServer, pg_bin
from tests.procs import Balancer, start_bots


async def _one_run(url: str, workdir: Path, processes: int, people: tuple[int, int], messages: int
                   ) -> dict[str, object]:
    """`processes` bots on one database; (Telegram, Zalo OA) citizens write `messages` each, back to back."""
    with FakeBotAPI() as tg, FakeZaloOA(access_token=None) as oa:
        bots = await start_bots(tg, oa, url, workdir, processes)
        try:
            limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
            async with httpx.AsyncClient(timeout=30, limits=limits) as client:
                mailbox, stop = Mailbox(tg, oa), asyncio.Event()
                watching = asyncio.create_task(mailbox.run(stop))
                crowd = Crowd(tg, oa, Balancer([b.port for b in bots], client), mailbox, think=(0.0, 0.0))
                elapsed = await crowd.run(*people, messages, unknown_share=0.3)
                await asyncio.sleep(0.5)
                stop.set()
                await watching
        finally:
            for bot in bots:
                bot.stop(15)
    latencies = crowd.latencies_ms()
    return {"processes": processes, "telegram_citizens": people[0], "zalo_citizens": people[1],
            "messages": len(crowd.said), "seconds": round(elapsed, 1),
            "per_second": round(len(crowd.said) / elapsed, 1), "p50_ms": pct(latencies, 50),
            "p99_ms": pct(latencies, 99), "unanswered": len(crowd.said) - len(latencies),
            "duplicated": mailbox.duplicates(crowd.said), "refused": len(crowd.refused)}


def with_pg_server(work: Callable[[PgServer], Awaitable[object]]) -> object:
    """Run `work` against a throwaway PostgreSQL server (None when PostgreSQL is not installed)."""
    bindir = pg_bin()
    if bindir is None:
        return None
    server = PgServer(bindir).start()
    try:
        return asyncio.run(work(server))
    finally:
        server.stop()


MIXES = {"mixed": (25, 25), "telegram": (50, 0), "zalo_oa": (0, 50)}  # (Telegram, Zalo OA) citizens


def bench_scale(counts: tuple[int, ...] = (1, 2, 3), messages: int = 10) -> object:
    """Throughput and reply latency for each number of processes and each mix of channels, fresh databases."""
    async def work(server: PgServer) -> dict[str, list[dict[str, object]]]:
        out: dict[str, list[dict[str, object]]] = {}
        for mix, people in MIXES.items():
            for n in counts:
                url = server.create_database()
                with tempfile.TemporaryDirectory() as tmp:
                    out.setdefault(mix, []).append(await _one_run(url, Path(tmp), n, people, messages))
                server.drop_database(url)
        return out

    return with_pg_server(work)


def bench_service_pg(service: Callable[..., Awaitable[dict[str, object]]], qs: list[str]) -> object:
    """The in-process citizen path (bench.service.bench_service) on PostgreSQL: three runs, each on a database of
    its own, the median run with every run's messages per second."""
    async def work(server: PgServer) -> dict[str, object]:
        runs = []
        for _ in range(3):
            url = server.create_database()
            try:
                runs.append(await service(qs, db=url))
            finally:
                server.drop_database(url)
        runs.sort(key=lambda r: float(str(r["per_second"])))
        return {**runs[1], "runs": [r["per_second"] for r in runs]}

    return with_pg_server(work)


if __name__ == "__main__":
    print(bench_scale())
