"""The intake of acknowledged webhook events: a thread and a SQLite connection of their own, many events per
commit, so an acknowledgement waits neither for the bot's work nor behind the inbound worker's reads."""

from __future__ import annotations

import queue
import sqlite3
import threading
from concurrent.futures import Future

from bot.store.files import OpenedFile

BUSY_TIMEOUT = 2.0  # seconds a commit waits for another connection's write lock
BATCH = 200  # events at most in one commit
_INSERT = ("INSERT INTO inbound_events (channel, msg_id, user_id, body, received_at) VALUES (?, ?, ?, ?, ?)"
           " ON CONFLICT DO NOTHING")
Row = tuple[str, str, str, str, float]


class Intake:
    """Stores events in arrival order; each caller's future resolves once its event is committed."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.file = OpenedFile(path)
        self._queue: queue.SimpleQueue[tuple[Row, Future[bool]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="webhook-intake", daemon=True)
        self._thread.start()

    def submit(self, row: Row) -> Future[bool]:
        """Queue one event; the future is True once it is committed (or was already stored)."""
        future: Future[bool] = Future()
        self._queue.put((row, future))
        return future

    def close(self) -> None:
        """Finish what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA secure_delete = ON")  # as the core's connections: nothing it overwrites stays readable
        try:
            while (first := self._queue.get()) is not None:
                batch = [first]
                while len(batch) < BATCH:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        self._queue.put(None)  # stop after this batch
                        break
                    batch.append(item)
                self._commit(db, batch, self.file)
        finally:
            db.close()

    @staticmethod
    def _commit(db: sqlite3.Connection, batch: list[tuple[Row, Future[bool]]], file: OpenedFile) -> None:
        try:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(_INSERT, [row for row, _ in batch])
            if file.gone():  # acknowledged into a deleted file, the events would be lost: the platform resends
                raise sqlite3.OperationalError(file.lost())
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            for _, future in batch:
                if not future.done():  # a caller that stopped waiting has cancelled it
                    future.set_exception(exc)
            return
        for _, future in batch:
            if not future.done():
                future.set_result(True)
