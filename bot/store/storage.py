"""Everything papibot keeps: one database and the repositories that own its tables, opened and closed together."""

from __future__ import annotations

from pathlib import Path

from bot.kernel.clock import SYSTEM, Clock
from bot.kernel.config import Config, is_pg_url
from bot.store.accounts import Accounts, Canned, Sessions
from bot.store.audit import Audit
from bot.store.channel_store import ChannelStore
from bot.store.conversations import Conversations, Menus
from bot.store.database import AlreadyProcessed, Coordination, Database, Turn
from bot.store.doubt import Doubts
from bot.store.feedback import Feedback
from bot.store.files import DatabaseError
from bot.store.heartbeat import Heartbeat
from bot.store.inbox import Inbox
from bot.store.learned import Learned
from bot.store.limits import Limits
from bot.store.notices import Notices
from bot.store.outbox import Outbox
from bot.store.pg_tools import MigrationBackup
from bot.store.plan import Plan
from bot.store.postgres import PgDatabase
from bot.store.questions import Questions
from bot.store.retention import Retention
from bot.store.snapshots import emptied
from bot.store.sqlite import SqliteDatabase
from bot.store.survey import Survey
from bot.store.tickets import Tickets

__all__ = ["AlreadyProcessed", "DatabaseError", "Storage", "Turn"]


class Storage:
    """The database and its repositories: tickets, questions, outbox, conversations and menus, audit trail,
    accounts and sessions, learned knowledge, limits, the PAPI plan, survey, feedback, doubts, officers'
    notices, heartbeats, retention, and what webhook channels keep."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.coordination: Coordination = database.coordination
        self.queued = database.queued  # the outbox's bell, for the delivery worker
        self.tickets = Tickets(database)
        self.questions = Questions(database)
        self.outbox = Outbox(database)
        self.notices = Notices(database)
        self.inbox = Inbox(database)
        self.conversations = Conversations(database)
        self.menus = Menus(database)
        self.audit = Audit(database)
        self.accounts = Accounts(database)
        self.sessions = Sessions(database)
        self.canned = Canned(database)
        self.learned = Learned(database)
        self.limits = Limits(database)
        self.heartbeat = Heartbeat(database)
        self.plan = Plan(database)
        self.survey = Survey(database)
        self.feedback = Feedback(database)
        self.doubts = Doubts(database)
        self.retention = Retention(database)
        self.channels = ChannelStore.over(database, self.outbox)

    @classmethod
    async def open(cls, target: Config | Path | str, clock: Clock = SYSTEM) -> Storage:
        """Open the database a Config, a PostgreSQL URL or a SQLite file path names (migrating it)."""
        where = (target.db_url or target.db_path) if isinstance(target, Config) else target
        if is_pg_url(where):
            before = MigrationBackup(str(where), target.data_dir / "backups", target.migrate_without_backup, clock) \
                if isinstance(target, Config) else None  # a bare URL (tests, migrate-to's empty target): no dump
            return cls(await PgDatabase.open(str(where), before, clock))
        backups = target.data_dir / "backups" if isinstance(target, Config) else Path(where).parent / "backups"
        if str(where) != ":memory:" and (why := emptied(Path(where), backups)):
            raise DatabaseError(why)
        return cls(await SqliteDatabase.open(where, clock))

    async def close(self) -> None:
        """Finish the inbound events being stored, then close the database."""
        await self.channels.inbound.close()
        await self.database.close()
