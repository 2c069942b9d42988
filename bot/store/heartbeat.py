"""Which processes deliver messages, and on which channels: a heartbeat every delivering process writes.

Each `papibot run` (and each console chat) writes a row every BEAT_EVERY seconds into the `leases` table,
which no longer serves its first purpose (polling uses session locks since schema 8): the name `run:<host>:
<pid>`, its channels as `holder` and, as `until`, the moment it counts as gone (BEAT_TTL after the beat). A
clean stop deletes the row; a killed process's row simply expires. The web console reads the live rows to
say, on the inbox and on a ticket whose answer waits, that nothing is delivering.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from dataclasses import dataclass

from bot.store.database import Database
from bot.store.dbapi import Conn

log = logging.getLogger(__name__)
BEAT_EVERY = 20.0  # seconds between two beats of a delivering process
BEAT_TTL = 60.0  # seconds after its last beat that a process counts as gone ("the last minute")
FORGET_AFTER = 7 * 86400  # seconds after which a dead process's row is deleted
PREFIX = "run:"


@dataclass(frozen=True)
class Delivering:
    """What the live heartbeats say: whether any process delivers, its channels, when one was last seen."""

    processes: int
    channels: frozenset[str]
    last_seen: float | None  # the newest beat of any process, live or gone (None: never seen)

    def covers(self, channel: str) -> bool:
        """True when a live process delivers on `channel`."""
        return channel in self.channels


class Heartbeat:
    """The heartbeat rows in the `leases` table."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def beat(self, name: str, channels: tuple[str, ...], now: float | None = None) -> None:
        """Record that process `name` delivers on `channels` now; forget processes gone for a week."""
        now = self.database.clock.now() if now is None else now

        async def beat(db: Conn) -> None:
            await db.execute("INSERT INTO leases (name, holder, until) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE"
                             " SET holder = excluded.holder, until = excluded.until",
                             (name, ",".join(channels), now + BEAT_TTL))
            await db.execute("DELETE FROM leases WHERE name LIKE ? AND until < ?", (f"{PREFIX}%", now - FORGET_AFTER))
        await self.database.write(beat, serial=False)

    async def stop(self, name: str) -> None:
        """Remove the row of a process that stops cleanly."""
        await self.database.execute("DELETE FROM leases WHERE name = ?", (name,))

    async def delivering(self, now: float | None = None) -> Delivering:
        """The live processes and their channels, and the newest beat ever recorded."""
        now = self.database.clock.now() if now is None else now
        rows = await self.database.all("SELECT holder, until FROM leases WHERE name LIKE ?", (f"{PREFIX}%",))
        live = [str(r[0]) for r in rows if float(r[1]) > now]
        newest = max((float(r[1]) - BEAT_TTL for r in rows), default=None)
        return Delivering(len(live), frozenset(c for holder in live for c in holder.split(",") if c), newest)


def process_name() -> str:
    """This process's heartbeat name: `run:<host>:<pid>`."""
    return f"{PREFIX}{socket.gethostname()}:{os.getpid()}"


async def keep_beating(heartbeat: Heartbeat, channels: tuple[str, ...], stop: asyncio.Event,
                       every: float = BEAT_EVERY) -> None:
    """Beat every `every` seconds until `stop` is set, then remove this process's row."""
    name = process_name()
    try:
        while not stop.is_set():
            try:
                await heartbeat.beat(name, channels)
            except Exception:  # a busy or failing database: the next beat tries again
                log.warning("could not record the delivery heartbeat", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
    finally:
        with contextlib.suppress(Exception):
            await heartbeat.stop(name)
