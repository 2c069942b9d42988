"""Session advisory locks on one dedicated PostgreSQL connection: held while this process lives.

PostgreSQL releases a session's advisory locks when its connection ends, so a process that dies (kill -9,
a crash, a lost host) frees what it held without anyone waiting for an expiry: a killed process's socket
is closed by its kernel at once, and the keepalive settings below bound the wait when a host vanishes
without closing anything. One connection holds any number of locks; its calls are serialised because
an asyncpg connection runs one statement at a time. Locks never wait (`pg_try_advisory_lock`).

A connection lost while the process lives (the server restarted) loses its locks too: `generation`
changes when that is noticed, so a holder can tell that what it took may now belong to someone else.
Each connection also takes a random key of its own (`own_key`), never reused by a later connection: rows
marked with it (the outbox's claims) are seen as abandoned by every process once that connection is gone.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets

import asyncpg

from bot.store.files import StorageUnavailable

log = logging.getLogger(__name__)
# Server-side TCP keepalive for the lock connection: a host that vanished without closing its socket
# has its locks released after about idle + interval * count seconds.
KEEPALIVE = {"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5", "tcp_keepalives_count": "3"}
CALL_TIMEOUT = 5.0  # seconds a lock call may take before its connection is given up as lost
_LOST = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


def random_key() -> int:
    """A random signed 64-bit advisory lock key."""
    return secrets.randbits(64) - 2**63


def lock_key(name: str) -> int:
    """A signed 64-bit advisory lock key for a name (two names rarely share one; if so they only serialise)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


class SessionLocks:
    """Advisory locks held by one connection of their own, reopened when it was lost."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.generation = 0  # increases each time the connection is replaced: earlier locks are gone
        self._conn: asyncpg.Connection | None = None
        self._held: set[int] = set()
        self._own: tuple[int, int] | None = None  # (key, generation) of the connection's own key
        self._calls = asyncio.Lock()

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is not None and not self._conn.is_closed():
            return self._conn
        if self._conn is not None:
            log.warning("the advisory lock connection was lost: its locks are released")
        self._conn = await asyncpg.connect(self.url, timeout=CALL_TIMEOUT, server_settings=KEEPALIVE)
        self.generation += 1
        self._held.clear()
        return self._conn

    def alive(self, generation: int) -> bool:
        """True while the connection that took locks in `generation` is still open."""
        return generation == self.generation and self._conn is not None and not self._conn.is_closed()

    async def try_lock(self, name: str) -> int | None:
        """The generation holding the lock `name` now (taken, or already held), or None when another has it.

        Raises StorageUnavailable when the server cannot be reached (the caller decides what that means).
        """
        key = lock_key(name)
        async with self._calls:
            try:
                conn = await self._connection()
                if key in self._held:
                    await conn.fetchval("SELECT 1", timeout=CALL_TIMEOUT)  # still connected, so still held
                    return self.generation
                if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", key, timeout=CALL_TIMEOUT):
                    return None
            except _LOST as exc:
                self._drop(exc)
                raise StorageUnavailable(str(exc)) from exc
            self._held.add(key)
            return self.generation

    async def own_key(self) -> int:
        """The key this connection holds as its own (taken once per connection); checks it is still connected.

        A replaced connection gets a new key, so whatever was marked with the old one is seen as released by
        every process even after this one has reconnected. Raises StorageUnavailable like `try_lock`.
        """
        async with self._calls:
            try:
                conn = await self._connection()
                if self._own is not None and self._own[1] == self.generation:
                    await conn.fetchval("SELECT 1", timeout=CALL_TIMEOUT)  # still connected, so still held
                    return self._own[0]
                key = random_key()
                while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", key, timeout=CALL_TIMEOUT):
                    key = random_key()  # held by someone else: astronomically rare, pick another
            except _LOST as exc:
                self._drop(exc)
                raise StorageUnavailable(str(exc)) from exc
            self._own = (key, self.generation)
            return key

    def holds_own(self, key: int) -> bool:
        """True while `key` is the own key of the current connection and that connection is open."""
        return self._own is not None and self._own[0] == key and self.alive(self._own[1])

    async def unlock(self, name: str, generation: int) -> None:
        """Release the lock `name` taken in `generation` (nothing to do when that connection is gone)."""
        key = lock_key(name)
        async with self._calls:
            if not self.alive(generation) or key not in self._held:
                return
            self._held.discard(key)
            assert self._conn is not None
            try:
                await self._conn.execute("SELECT pg_advisory_unlock($1)", key, timeout=CALL_TIMEOUT)
            except _LOST as exc:
                self._drop(exc)

    def _drop(self, exc: BaseException) -> None:
        """Forget a connection that failed: its locks are (or will be) released by the server."""
        log.warning("advisory lock connection failed: %s", exc)
        if self._conn is not None:
            self._conn.terminate()
        self._conn = None
        self._held.clear()
        self.generation += 1

    async def close(self) -> None:
        """Close the connection, releasing every lock."""
        async with self._calls:
            if self._conn is not None:
                try:
                    await self._conn.close(timeout=2)
                except _LOST:
                    self._conn.terminate()
            self._conn = None
            self._held.clear()

    def terminate(self) -> None:
        """Drop the connection at once, as a dying process does (tests use it to play a crash)."""
        if self._conn is not None:
            self._conn.terminate()
