"""What every backend's database offers the repositories: writes as functions, committed reads, coordination.

A write is a function the database runs inside one transaction: `await database.write(fn, turn)`, where `fn`
receives only the connection and awaits nothing but calls on it (tests/test_store_writes.py checks this). So
no transaction ever waits on a network call, a lock or another task, and a caller that stops waiting never
leaves one open. The record that a channel update was processed (`turn`) is written in the same transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from bot.kernel.clock import Clock
from bot.kernel.models import OutboxItem
from bot.store.bell import Bell
from bot.store.dbapi import Conn

T = TypeVar("T")
Write = Callable[[Conn], Awaitable[T]]
Row = Any  # a sqlite3.Row or an asyncpg.Record: both index by position and by column name


class AlreadyProcessed(Exception):
    """A channel update whose effects were already stored: it is being delivered again after a crash."""


@dataclass
class Turn:
    """One channel update being handled: its key, and whether a transaction has recorded it yet.

    The record that an update was processed is written inside the first transaction that stores its
    effect, so a handled update costs one write transaction; the router records it with the numbered menu it
    saves, or alone when handling stored nothing.
    """

    channel: str
    update_id: str
    claimed: bool = False


def statement(sql: str, params: Sequence[Any] = ()) -> Write[int]:
    """A write of one statement: the function to hand to `Database.write`, returning the rows it changed."""
    async def run(db: Conn) -> int:
        cur = await db.execute(sql, tuple(params))
        return int(cur.rowcount or 0)
    return run


def statements(pairs: Sequence[tuple[str, Sequence[Any]]]) -> Write[list[Row]]:
    """A write of several statements in order: the function to hand to `Database.write`; the last one's rows."""
    async def run(db: Conn) -> list[Row]:
        rows: list[Row] = []
        for sql, params in pairs:
            rows = list(await db.execute_fetchall(sql, tuple(params)))
        return rows
    return run


class FloodLimit(Protocol):
    """A per-user message limit: what the router asks before handling a citizen's message."""

    async def verdict(self, channel: str, user_id: str) -> str:
        """OK, WARN or DROP for one more message from this user."""
        ...

    async def tidy(self) -> None:
        """Forget what no longer counts (housekeeping)."""
        ...


class Coordination(Protocol):
    """What the processes using one database agree on: who polls, who sends what, how fast, who counts floods.

    One process uses a SQLite file, so its coordination is local (in memory, every lock its own); processes
    sharing a PostgreSQL database coordinate through it (session advisory locks, shared counters).
    """

    async def poll_lock(self, name: str) -> bool:
        """Take or keep the right to poll the platform `name`; False while another process holds it."""
        ...

    def try_lock(self, key: int) -> AbstractAsyncContextManager[bool]:
        """Whether this process got the lock `key` for the block (never waits)."""
        ...

    def exclusive(self, name: str) -> AbstractAsyncContextManager[None]:
        """Hold the lock `name` for the block, waiting for any other holder."""
        ...

    def handling(self, channel: str, user_id: str) -> AbstractAsyncContextManager[Callable[[], bool] | None]:
        """Hold one user's stored events: None when another process handles them now, else a check that the
        hold still stands."""
        ...

    async def claim_outbox(self, database: Database, lane: str, channels: tuple[str, ...],
                           limit: int) -> list[OutboxItem]:
        """The due head message of each chat in `lane`, claimed for this process to send."""
        ...

    def holds(self, key: int | None) -> bool:
        """Whether a claim made under `key` (an outbox message's `claimed_by`) is still this process's."""
        ...

    def flood_limit(self, per_minute: int, window: float = 60.0) -> FloodLimit:
        """The per-user flood limit, counted where every process using the database sees it."""
        ...

    async def send_slot(self, name: str, interval: float, burst: float) -> float:
        """Seconds to wait before the next send of the schedule `name`, shared by the processes."""
        ...

    async def close(self) -> None:
        """Release whatever this process holds."""
        ...


class Coordinated(Protocol):
    """Whatever holds a database's coordination (the storage)."""

    @property
    def coordination(self) -> Coordination:
        """What the processes using the database agree on."""
        ...


class Database(Protocol):
    """One backend's database: writes as functions, committed reads, health, coordination."""

    @property
    def clock(self) -> Clock:
        """The clock every row's time is read from."""
        ...

    @property
    def coordination(self) -> Coordination:
        """What the processes using this database agree on."""
        ...

    @property
    def queued(self) -> Bell:
        """Rung once a write put a message in the outbox: the delivery worker listens to it."""
        ...

    async def write(self, fn: Write[T], turn: Turn | None = None, serial: bool = True) -> T:
        """Run `fn` in one write transaction (recording `turn` as processed inside it); its result.

        `serial=False` for a self-contained write that reads nothing it depends on (a server database then
        lets it run beside the other writers)."""
        ...

    async def together(self, pairs: Sequence[tuple[str, Sequence[Any]]], turn: Turn | None = None) -> list[Row]:
        """Statements that read nothing the others write and need no order with other writers (inserts, upserts),
        all or nothing with `turn`'s record; the last one's rows. PostgreSQL runs them as one statement."""
        ...

    async def execute(self, sql: str, params: Sequence[Any] = (), turn: Turn | None = None) -> int:
        """One statement in a transaction of its own; the rows it changed."""
        ...

    async def returning(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The row one self-contained writing statement returns."""
        ...

    async def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row of a committed read."""
        ...

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Every row of a committed read."""
        ...

    async def peek(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row of a committed read by key (microseconds, never a scan): the citizen path's own read."""
        ...

    async def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row of a committed read (None without a row)."""
        ...

    async def processed(self, channel: str, update_id: str) -> bool:
        """True when this update was handled before (a redelivery after a crash, or a retry)."""
        ...

    async def claim(self, turn: Turn) -> None:
        """Record the update as processed in a transaction of its own (when nothing else was stored)."""
        ...

    def gone(self) -> bool:
        """True when what was opened can no longer take a commit that anybody would read (a deleted file)."""
        ...

    async def healthy(self) -> bool:
        """True while the database answers a trivial query."""
        ...

    async def state(self) -> str:
        """`ok`, `unusable` (no reads) or `unavailable: <why>` (no writes)."""
        ...

    async def scrub(self, vacuum: bool = False) -> None:
        """Leave no erased words in the files (with `vacuum`: also what housekeeping leaves to it)."""
        ...

    async def companion(self) -> Database:
        """The database for writes made on the calling loop (the webhooks'), which must never wait for another
        loop: SQLite's one writer then runs every write on it; a server's database gives it a pool of its own."""
        ...

    async def close(self) -> None:
        """Release the connections and what the coordination holds."""
        ...
