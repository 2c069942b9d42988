"""Which process long-polls a platform: a lease row in the database, renewed before every poll.

With several papibot processes on one PostgreSQL database, only the lease holder calls getUpdates (two
pollers would split or repeat a platform's updates); the others stand by and take over once the holder's
lease has run out (it crashed or stopped; a restarted process also waits out its predecessor's lease).
With SQLite there is one process: it always polls, and no lease is written.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from typing import Protocol

from bot.db import StorageUnavailable

log = logging.getLogger(__name__)
POLL_LEASE = 90.0  # seconds a poller's lease lasts (several long polls): a dead holder is replaced after this
STANDBY_WAIT = 15.0  # seconds a standby process waits before trying the lease again


class Leases(Protocol):
    """The storage's lease method."""

    shared: bool

    async def hold_lease(self, name: str, holder: str, seconds: float) -> bool:
        """Take or renew a lease."""


def holder_id() -> str:
    """A name for this poller, unique across processes and hosts."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


async def poll_lease(storage: Leases, name: str, holder: str, seconds: float = POLL_LEASE) -> bool:
    """True when `holder` may poll now (its lease taken or renewed); False while another process holds it.

    A database that cannot take the write now does not stop the polling: the core then holds the updates
    and tells people, as it does with one process.
    """
    if not storage.shared:
        return True
    try:
        return await storage.hold_lease(name, holder, seconds)
    except StorageUnavailable as exc:
        log.warning("lease %s not renewed: %s", name, exc)
        return True
