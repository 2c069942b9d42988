"""SQLite's one writer: a webhook's events being acknowledged go before the writes waiting for it, a write whose
caller gave up is never run, and a write asked from another event loop (the webhooks') is run like the others."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from bot.kernel.loops import LoopThread
from bot.store.sqlite_thread import SqliteThread


def _note(done: list[str], name: str) -> Callable[[sqlite3.Connection], str]:
    def run(conn: sqlite3.Connection) -> str:
        conn.execute("INSERT INTO t (name) VALUES (?)", (name,))
        done.append(name)
        return name
    return run


async def _busy(writer: SqliteThread) -> tuple[threading.Event, asyncio.Future[None]]:
    """The writer's thread held by a long write until the event is set."""
    release, started = threading.Event(), threading.Event()

    def hold(conn: sqlite3.Connection) -> None:
        started.set()
        release.wait(10)
    held = asyncio.ensure_future(writer.run(hold))
    await asyncio.to_thread(started.wait, 10)
    return release, held


async def test_an_acknowledgement_goes_before_the_writes_already_waiting(tmp_path: Path) -> None:
    writer, done = await SqliteThread.connect(tmp_path / "w.db"), []
    await writer.run(lambda conn: conn.execute("CREATE TABLE t (name TEXT)"))
    release, held = await _busy(writer)  # a citizen's write in progress
    queued = [asyncio.ensure_future(writer.run(_note(done, f"citizen {n}"))) for n in range(3)]
    await asyncio.sleep(0)
    ack = asyncio.ensure_future(writer.run(_note(done, "webhook"), urgent=True))
    await asyncio.sleep(0.05)
    release.set()
    await asyncio.gather(held, *queued, ack)
    assert done == ["webhook", "citizen 0", "citizen 1", "citizen 2"]
    rows = await writer.execute_fetchall("SELECT name FROM t ORDER BY rowid")
    assert [r[0] for r in rows] == done
    await writer.close()


async def test_a_write_whose_caller_gave_up_is_never_run(tmp_path: Path) -> None:
    writer, done = await SqliteThread.connect(tmp_path / "w.db"), []
    await writer.run(lambda conn: conn.execute("CREATE TABLE t (name TEXT)"))
    release, held = await _busy(writer)
    gave_up = asyncio.ensure_future(writer.run(_note(done, "gave up")))
    later = asyncio.ensure_future(writer.run(_note(done, "later")))
    await asyncio.sleep(0)
    gave_up.cancel()
    await asyncio.gather(gave_up, return_exceptions=True)
    await asyncio.sleep(0)  # the cancellation reaches the writer's queue on the loop's next turn
    release.set()
    assert await asyncio.wait_for(later, 5) == "later"
    await held
    assert done == ["later"]
    assert [r[0] for r in await writer.execute_fetchall("SELECT name FROM t")] == ["later"]
    await writer.close()


async def test_a_write_from_the_webhooks_loop_takes_its_turn_like_the_others(tmp_path: Path) -> None:
    writer, done = await SqliteThread.connect(tmp_path / "w.db"), []
    await writer.run(lambda conn: conn.execute("CREATE TABLE t (name TEXT)"))
    webhooks = LoopThread("webhooks")
    webhooks.start()
    try:
        release, held = await _busy(writer)
        citizen = asyncio.ensure_future(writer.run(_note(done, "citizen")))
        await asyncio.sleep(0)
        ack = asyncio.ensure_future(webhooks.run(writer.run(_note(done, "webhook"), urgent=True)))
        await asyncio.sleep(0.05)
        release.set()
        await asyncio.gather(held, citizen, ack)
    finally:
        await webhooks.close()
    assert done == ["webhook", "citizen"]
    await writer.close()
