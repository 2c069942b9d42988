"""The coordination of processes sharing a PostgreSQL database: session advisory locks, shared counters, and
outbox claims that name their process.

Session locks live on one dedicated connection (bot.store.pg_locks), so PostgreSQL releases them the moment
their process dies: polling passes to a standby, a user's stored events to another process, at once.

A claim on outbox messages names its process: `claimed_by` is the lock connection's own advisory key, which
PostgreSQL releases the moment that process dies. Every RECLAIM_EVERY seconds a claim also takes back, in the
same transaction, the unsettled messages whose claimer no longer holds its key: they may already have reached
the person (the dead process may have been sending them), so they become 'uncertain' and due at once. The
database cannot tell the messages the dead process was sending from those still waiting in its batch, so both
are marked: an uncertain message that times out again is given up and shown to the officers instead of being
tried a third time. CLAIM_LEASE stays as a backstop for claims made while the lock connection was down
(claimed_by is then empty) or by a process that lives but is stuck.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg

from bot.kernel.models import OutboxItem
from bot.store.database import Database
from bot.store.dbapi import Conn
from bot.store.files import StorageUnavailable
from bot.store.limits import Limits, SharedFloodGuard
from bot.store.outbox import OUTBOX_COLS, due_where, item_of
from bot.store.pg_locks import SessionLocks

log = logging.getLogger(__name__)
CLAIM_LEASE = 300.0  # seconds a claimed message is left to its sender (longer than any send's timeouts)
RECLAIM_EVERY = 2.0  # seconds between two looks, per process, for claims whose process has died
ABANDONED = "the process sending it stopped: it may have arrived"
# The advisory lock keys held now in this database: a bigint key shows as classid (high half) and objid
# (low half) with objsubid 1; the shift wraps into the sign bit as the key's own bits did.
_LIVE_KEYS = ("SELECT (classid::bigint << 32) | objid::bigint FROM pg_locks WHERE locktype = 'advisory'"
              " AND objsubid = 1 AND granted"
              " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")


async def _reclaim_abandoned(db: Conn, now: float) -> None:
    """Make the unsettled claims of processes that no longer hold their key uncertain and due `now`."""
    await db.execute(
        "UPDATE outbox SET status = 'uncertain', claimed_by = NULL, next_attempt_at = ?, last_error = ?"
        f" WHERE claimed_by IS NOT NULL AND status IN ('pending', 'uncertain') AND claimed_by NOT IN ({_LIVE_KEYS})",
        (now, ABANDONED))


async def unlock_session(conn: Any, key: int) -> None:
    """Release a session advisory lock; a connection that cannot is closed, which releases it as surely (the
    pool does not reset a connection it takes back)."""
    try:
        await conn.execute("SELECT pg_advisory_unlock($1)", key)
    except BaseException:
        conn.terminate()
        raise


class SharedCoordination:
    """Locks and counters every process sharing the database sees."""

    def __init__(self, url: str, pool: asyncpg.Pool, database: Database) -> None:
        self.locks = SessionLocks(url)  # polling, users' events, outbox claims: released if this process dies
        self.pool = pool
        self.database = database
        self.limits = Limits(database)
        self._polling: set[str] = set()
        self._reclaimed_at = float("-inf")  # monotonic time of this process's last look for abandoned claims

    async def poll_lock(self, name: str) -> bool:
        """Take or keep the session lock `name`; False while another process holds it.

        When the server cannot be reached, the process that was polling goes on (the core then holds the
        updates and tells people, as with one process) and the others keep standing by.
        """
        try:
            held = await self.locks.try_lock(name) is not None
        except StorageUnavailable as exc:
            log.warning("polling lock %s not checked: %s", name, exc)
            return name in self._polling
        if held:
            self._polling.add(name)
        else:
            self._polling.discard(name)
        return held

    @contextlib.asynccontextmanager
    async def try_lock(self, key: int) -> AsyncIterator[bool]:
        """Whether this process got the session advisory lock `key` (held until the block ends); never waits."""
        async with self.pool.acquire() as conn:
            held = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", key))
            try:
                yield held
            finally:
                if held:
                    await unlock_session(conn, key)

    @contextlib.asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[None]:
        """Hold a session advisory lock named `name` (waiting for another process to release it)."""
        key = zlib.crc32(name.encode())
        async with self.pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", key)
            try:
                yield
            finally:
                await unlock_session(conn, key)

    @contextlib.asynccontextmanager
    async def handling(self, channel: str, user_id: str) -> AsyncIterator[Callable[[], bool] | None]:
        """Hold one user's events for this process (the lock `inbound:<channel>:<user>`): None when another
        process handles them now (or the server cannot be reached), else a check that the hold still stands."""
        name = f"inbound:{channel}:{user_id}"
        try:
            generation = await self.locks.try_lock(name)
        except StorageUnavailable:
            generation = None
        if generation is None:
            yield None
            return
        try:
            yield lambda: self.locks.alive(generation)
        finally:
            await self.locks.unlock(name, generation)

    async def _claim_key(self) -> int | None:
        """The lock key marking this process's outbox claims, or None (claims then rest on the lease alone)."""
        try:
            return await self.locks.own_key()
        except StorageUnavailable as exc:
            log.warning("outbox claims not marked with this process's lock: %s", exc)
            return None

    async def claim_outbox(self, database: Database, lane: str, channels: tuple[str, ...],
                           limit: int) -> list[OutboxItem]:
        """The due head messages, locked (skipping those another process is claiming), marked with this
        process's key and their next attempt pushed CLAIM_LEASE seconds ahead, so no other process takes them
        while this one lives; settling them sets the real next step."""
        holder = await self._claim_key()  # checked before the claim: never mark rows with a lost key
        now = database.clock.now()
        reclaim = database.clock.monotonic() - self._reclaimed_at >= RECLAIM_EVERY

        async def claim(db: Conn) -> list[Any]:
            if reclaim:
                await _reclaim_abandoned(db, now)
            rows = list(await db.execute_fetchall(
                f"SELECT {OUTBOX_COLS} FROM outbox WHERE {due_where(channels)} ORDER BY id LIMIT ?"
                " FOR UPDATE SKIP LOCKED", (lane, *channels, now, limit)))
            if rows:
                ids = [int(r["id"]) for r in rows]
                await db.execute(f"UPDATE outbox SET next_attempt_at = ?, claimed_by = ?"
                                 f" WHERE id IN ({', '.join('?' for _ in ids)})", (now + CLAIM_LEASE, holder, *ids))
            return rows

        rows = await database.write(claim)
        if reclaim:
            self._reclaimed_at = database.clock.monotonic()
        return [dataclasses.replace(item_of(r), claimed_by=holder) for r in rows]

    def holds(self, key: int | None) -> bool:
        """False once a claim made under `key` may have passed to another process: do not start sending it.

        A claim stands while the lock connection whose key marks it is open. When that connection is lost
        while this process lives, the server has released the key (or will once it notices), and other
        processes take those rows back within seconds: so this process stops trusting exactly the claims
        made under the lost key. Their messages not yet handed to the platform are dropped from the batch,
        unsent and unsettled, for whoever takes them back (this process too, under its new key) to send
        once; sends already in flight finish and are settled as usual (a settlement never turns a sent
        message back into an unsent one) and are the only ones that can arrive twice. Claims made under the
        new connection's key are untouched. The check is local, so a send started between the server
        dropping the connection and this process noticing can repeat too, the same window a death leaves.
        """
        return key is None or self.locks.holds_own(key)

    def flood_limit(self, per_minute: int, window: float = 60.0) -> SharedFloodGuard:
        """The flood limit counted in the database, holding across every process."""
        return SharedFloodGuard(self.limits, per_minute, window)

    async def send_slot(self, name: str, interval: float, burst: float) -> float:
        """The next slot of the schedule `name` every process shares: seconds to wait for it."""
        return await self.limits.send_slot(name, interval, burst)

    def terminate(self) -> None:
        """Drop the lock connection at once, as a dying process does (tests use it to play a crash)."""
        self.locks.terminate()

    async def close(self) -> None:
        """Release every lock this process holds."""
        await self.locks.close()
