"""Which process long-polls a platform: a session advisory lock that dies with the process holding it.

With several papibot processes on one PostgreSQL database, only the holder of the lock `poll:<platform>`
calls getUpdates (two pollers would split or repeat a platform's updates); the others stand by and try
again every STANDBY_WAIT seconds. The lock lives on a dedicated connection (bot.store.pg_locks), so PostgreSQL
releases it the moment the holder's process dies: a standby, or the holder's own restarted successor,
takes over within STANDBY_WAIT seconds instead of waiting out a lease. With SQLite there is one process:
its coordination always lets it poll.
"""

from __future__ import annotations

from bot.store.database import Coordinated

STANDBY_WAIT = 3.0  # seconds a standby process waits before trying the lock again


async def poll_lease(storage: Coordinated, name: str) -> bool:
    """True when this process may poll now (its lock taken or kept); False while another process holds it."""
    return await storage.coordination.poll_lock(name)
