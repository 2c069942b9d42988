"""Acknowledged events committed together, by a writer of their own when the webhooks are served apart.

An acknowledgement waits for its event to be committed. Events arriving together are committed together:
while one batch is being written the next one gathers, so a burst of webhooks costs a few transactions, not
one each. The batch is written by a task of its own, so a webhook that stops waiting (its platform's
deadline) never cuts a transaction short; the event is then stored anyway, and its redelivery deduplicated.

Batches live on one event loop. With the webhooks served on a loop of their own (`channels/apart.py`), that
loop, with the database's writer for it (`Database.companion`), so an acknowledgement touches nothing of the
main loop, busy with matching and rendering; a caller on another loop is handed over to it.
"""

from __future__ import annotations

import asyncio
import logging

from bot.kernel.loops import on_loop
from bot.store.database import Database, Write
from bot.store.dbapi import Conn

log = logging.getLogger(__name__)
BATCH = 200  # events at most in one commit
INSERT_EVENTS = ("INSERT INTO inbound_events (channel, msg_id, user_id, body, received_at) VALUES {}"
                 " ON CONFLICT DO NOTHING")
EventRow = tuple[str, str, str, str, float]


class Batches:
    """Events waiting for their commit on `database`, whose connections belong to `loop` (None: the caller's)."""

    def __init__(self, database: Database, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.database = database
        self.loop = loop
        self._waiting: list[tuple[EventRow, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def store(self, row: EventRow, within: float) -> bool:
        """Store an event durably; True once committed (new or already stored), False if not within `within` s."""
        if self.loop is None:
            return await self._store(row, within)
        return await on_loop(self.loop, lambda: self._store(row, within))

    async def _store(self, row: EventRow, within: float) -> bool:
        committed: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((row, committed))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches())
        try:
            return await asyncio.wait_for(committed, within)
        except TimeoutError:
            return False  # not known to be stored: the platform delivers it again (the msg_id dedupe keeps it once)
        except Exception as exc:  # whatever kept the batch from its commit: the same
            log.warning("an inbound %s event was not stored: %s", row[0], exc)
            return False

    async def _write_batches(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:BATCH], self._waiting[BATCH:]
            try:
                await self.database.write(_inserting([row for row, _ in batch]), serial=False)
            except Exception as exc:
                for _, committed in batch:
                    if not committed.done():  # a caller that stopped waiting has cancelled it
                        committed.set_exception(exc)
                continue
            for _, committed in batch:
                if not committed.done():
                    committed.set_result(True)

    async def close(self) -> None:
        """Finish the batch being written (its events were acknowledged or are about to be)."""
        if self.loop is None:
            await self._finish()
        else:
            await on_loop(self.loop, self._finish)

    async def _finish(self) -> None:
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)


def _inserting(rows: list[EventRow]) -> Write[None]:
    """The write storing a batch of events in one statement, one trip to the database however many they are (those
    stored before, and a second copy within the batch, are left out)."""
    sql = INSERT_EVENTS.format(", ".join(["(?, ?, ?, ?, ?)"] * len(rows)))
    params = tuple(value for row in rows for value in row)

    async def insert(db: Conn) -> None:
        await db.execute(sql, params)
    return insert
