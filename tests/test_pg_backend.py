"""The PostgreSQL backend's own seams: choosing it, the same schema as SQLite; channel store and leases on both."""

from __future__ import annotations

import time
from pathlib import Path

import asyncpg
import pytest

from bot.kernel.config import load_config
from bot.store.channel_store import Tokens
from bot.store.postgres import pg_migrate
from bot.store.schema import SCHEMA_VERSION
from bot.store.sqlite import DatabaseError
from bot.store.storage import Storage
from tests.pgserver import PgServer

BOTH_BACKENDS = True  # the channel store test below runs on both


def test_a_postgresql_url_selects_postgresql_and_its_password_is_never_shown(tmp_path: Path) -> None:
    url = "postgresql://papibot:s3cret@db.local:5432/papibot"
    config = load_config({"PAPIBOT_DB": url})
    assert config.db_url == url and "s3cret" not in str(config.redacted())
    assert load_config({"PAPIBOT_DB": "postgres://h/x"}).db_url == "postgres://h/x"
    sqlite = load_config({"PAPIBOT_DB": str(tmp_path / "p.db")})
    assert sqlite.db_url == "" and sqlite.db_path == tmp_path / "p.db"


async def _columns(storage: Storage, postgres: bool) -> dict[str, set[str]]:
    if postgres:
        rows = await storage.database.all("SELECT table_name, column_name FROM information_schema.columns"
                                          " WHERE table_schema = 'public'")
        pairs = [(str(r[0]), str(r[1])) for r in rows]
    else:
        tables = [str(r[0]) for r in await storage.database.all("SELECT name FROM sqlite_master WHERE type = 'table'"
                                                          " AND name NOT LIKE 'sqlite_%'")]
        pairs = [(t, str(c[1])) for t in tables for c in await storage.database.all(f"PRAGMA table_info({t})")]
    out: dict[str, set[str]] = {}
    for table, column in pairs:
        out.setdefault(table, set()).add(column)
    return out


async def test_both_backends_have_the_same_tables_and_columns_at_the_same_version(
        tmp_path: Path, pg_server: PgServer) -> None:
    url = pg_server.create_database()
    try:
        lite, pg = await Storage.open(tmp_path / "s.db"), await Storage.open(url)
        try:
            assert await _columns(lite, False) == await _columns(pg, True)
            for storage in (lite, pg):
                assert await storage.database.value("SELECT max(version) FROM schema_version") == SCHEMA_VERSION
        finally:
            await lite.close()
            await pg.close()
    finally:
        pg_server.drop_database(url)


async def test_a_postgresql_database_newer_than_the_code_is_refused(pg_server: PgServer) -> None:
    url = pg_server.create_database()
    try:
        await (await Storage.open(url)).close()
        conn = await asyncpg.connect(url)  # a newer papibot upgraded it meanwhile
        try:
            await conn.execute("UPDATE schema_version SET version = version + 1")
        finally:
            await conn.close()
        with pytest.raises(DatabaseError, match="newer than this papibot"):
            await Storage.open(url)
    finally:
        pg_server.drop_database(url)


async def test_the_channel_store_keeps_events_tokens_and_takeovers(config) -> None:
    storage = await Storage.open(config)
    store = storage.channels
    try:
        assert await store.inbound.store("zalo_oa", "m1", "u1", "{}", 5.0)
        assert await store.inbound.store("zalo_oa", "m1", "u1", "{}", 5.0)  # a redelivery: stored once
        assert await store.inbound.pending_users("zalo_oa") == ["u1"]
        [event] = await store.inbound.pending_events("zalo_oa", "u1")
        await store.inbound.mark_done(event.id)
        assert await store.inbound.counts("zalo_oa") == {"done": 1}
        await store.tokens.save("zalo_oa", Tokens("a1", "r1", 10.0))
        await store.tokens.save("zalo_oa", Tokens("a2", "r2", 20.0))
        assert await store.tokens.get("zalo_oa") == Tokens("a2", "r2", 20.0)
        later = time.time() + 600
        await store.takeovers.take_over("zalo_oa", "u1", later)
        await store.takeovers.take_over("zalo_oa", "u1", time.time() + 60)  # never shortened
        assert await store.takeovers.active("zalo_oa") == [("u1", later)]
        assert await store.takeovers.taken_over("zalo_oa", "u1")
        assert not await store.takeovers.taken_over("zalo_oa", "u2")
        await store.takeovers.note_sent("zalo_oa", "s1")
        await store.takeovers.note_sent("zalo_oa", "s1")
        assert await store.takeovers.was_sent("zalo_oa", "s1")
        assert not await store.takeovers.was_sent("zalo_oa", "s2")
        assert await store.outbox.requeue_undeliverable("zalo_oa", "u1", ("-230",)) == 0
    finally:
        await storage.close()


async def test_a_postgresql_database_at_an_older_version_is_carried_forward(pg_server: PgServer) -> None:
    url = pg_server.create_database()
    try:
        conn = await asyncpg.connect(url)
        try:
            assert await pg_migrate(conn, target=7) == 7  # as an earlier papibot left it
            await conn.execute("INSERT INTO tickets (channel, chat_id, user_id, question, created_at)"
                               " VALUES ('console', '1', '1', 'còn đó không', 1.0)")
        finally:
            await conn.close()
        storage = await Storage.open(url)
        try:
            assert await storage.database.value("SELECT max(version) FROM schema_version") == SCHEMA_VERSION
            ticket = await storage.tickets.get(1)
            assert ticket is not None and ticket.question == "còn đó không"
            assert await storage.database.value("SELECT count(*) FROM rate_slots") == 0  # the newest table is there
        finally:
            await storage.close()
    finally:
        pg_server.drop_database(url)
