"""The storage over PostgreSQL: the same SQL mixins as `Storage`, on `PgDatabase`'s pool and transactions."""

from __future__ import annotations

from bot.db_pg import PgDatabase
from bot.storage import Storage


class PgStorage(PgDatabase, Storage):
    """`Storage` whose connection layer is PostgreSQL (PgDatabase comes first, so its methods win)."""
