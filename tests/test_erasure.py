"""Erasure and retention reach every table: found by reading the schema, so new tables must be covered too."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from bot.engine.services import Services, open_services
from bot.kernel.clock import FixedClock
from bot.kernel.models import CITIZEN, Reply, User
from bot.store.postgres import ERASED_TABLES, PgDatabase
from bot.store.storage import Storage
from tests.conftest import ROOT_DIR, admin, citizen, deliver_due, press, say

PERSON = User("zalo_oa", "8421097412338840001", "8421097412338840001", "Lò Thị Mai", CITIZEN)
WORDS = "flycam quay phim đám cưới bản Hua La"
BOTH_BACKENDS = True  # erasure and retention are checked on SQLite and on PostgreSQL


async def text_columns(storage: Storage) -> list[tuple[str, str]]:
    """Every (table, column) that can hold text, from the schema itself (SQLite's or PostgreSQL's catalogue)."""
    if isinstance(storage.database, PgDatabase):
        rows = await storage.database.all("SELECT table_name, column_name FROM information_schema.columns"
                                          " WHERE table_schema = 'public' AND data_type IN ('text',"
                                          " 'character varying', 'character')")
        return [(str(r[0]), str(r[1])) for r in rows]
    tables = [r[0] for r in await storage.database.all("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return [(t, c[1]) for t in tables for c in await storage.database.all(f"PRAGMA table_info({t})")
            if c[2].upper() in ("TEXT", "") or "CHAR" in c[2].upper()]


async def traces(storage: Storage, needles: list[str]) -> list[str]:
    """Where any needle still appears in the database."""
    found = []
    for table, column in await text_columns(storage):
        for needle in needles:
            if await storage.database.value(f'SELECT count(*) FROM {table} WHERE "{column}" LIKE ?',
                                            (f"%{needle}%",)):
                found.append(f"{table}.{column} holds {needle!r}")
    return found


async def test_erasure_leaves_no_trace_in_any_table_or_file(services: Services, config) -> None:
    storage = services.storage
    await say(services, PERSON, "làm hộ chiếu")  # a conversation, a contact, a question
    reply = await say(services, PERSON, WORDS)  # a follow-up queued with the previous turns
    number = reply.diagnosis.ticket_id
    assert number is not None
    inbound = storage.channels.inbound  # what a webhook channel kept about them
    assert await inbound.store("zalo_oa", "m1", PERSON.user_id, json.dumps({"text": WORDS, "sender": PERSON.user_id}),
                               within=5.0)
    await inbound.mark_done((await inbound.pending_events("zalo_oa", PERSON.user_id))[0].id)
    await storage.channels.takeovers.take_over("zalo_oa", PERSON.user_id, time.time() + 60)
    await services.admin.answer(admin(), number, f"Chị Lò Thị Mai hỏi về {WORDS}: liên hệ Cảng vụ.")
    await services.admin.promote(admin(), number, "tra-cuu-thu-tuc", "xin phép quay phim bằng flycam")
    promoted = "xin phép quay phim bằng flycam"
    assert await storage.database.value("SELECT count(*) FROM learned_items WHERE body = ?", (promoted,)) == 1
    assert promoted in services.brain.kb.topic("tra-cuu-thu-tuc").questions
    other = await say(services, citizen(5), "cấp phép bay flycam")  # another citizen's data must stay
    needles = [PERSON.user_id, "Lò Thị Mai", "flycam", "Hua La"]
    assert await traces(storage, needles)  # the test sees the data before erasure

    await say(services, PERSON, "/xoadulieu")
    done = await press(services, PERSON, "del:yes")
    assert "Đã xóa" in done.text

    left = [t for t in await traces(storage, needles) if not t.endswith("'flycam'")]
    assert left == []
    # What was learned from their question is gone too: from the database, and from what the bot knows.
    assert await storage.database.value("SELECT count(*) FROM learned_items WHERE body LIKE '%flycam%'") == 0
    assert promoted not in services.brain.kb.topic("tra-cuu-thu-tuc").questions
    flycam = await storage.database.value("SELECT count(*) FROM questions WHERE text LIKE '%flycam%'")
    assert flycam == 1  # the other citizen's question is untouched
    row = await storage.database.one("SELECT status, user_id, question FROM tickets WHERE id = ?", (number,))
    assert tuple(row) == ("answered", "erased", "")  # statistics still count the ticket
    row = await storage.database.one("SELECT action, admin_id, detail FROM admin_actions WHERE ticket_id = ?"
                                     " AND action = 'answer'", (number,))
    assert tuple(row) == ("answer", "console:7", "")
    assert (await storage.tickets.stats()).answered == 1 and other.diagnosis.decision in ("suggest", "queue", "answer")


async def test_retention_purge_erases_old_messages_and_audit_excerpts(config) -> None:
    clock = FixedClock()
    services = await open_services(config, clock=clock)
    try:
        storage = services.storage
        ticket = (await say(services, citizen(), "cấp phép bay flycam quay phim")).diagnosis.ticket_id
        assert ticket is not None
        await services.admin.answer(admin(), ticket, "Liên hệ Cảng vụ hàng không.")

        async def received(chat_id: str, reply: Reply) -> None:
            """The citizen's console takes the answer."""

        assert await deliver_due(storage, "console", received) == 1
        clock.advance(config.retention_days * 86400 + 1)
        assert await services.purge_expired() > 0
        assert await traces(storage, ["flycam", "Cảng vụ"]) == []
    finally:
        await services.close()


@pytest.mark.parametrize("days", ["-1", "0", "-30"])
def test_zero_or_negative_retention_is_refused(tmp_path: Path, days: str) -> None:
    env = {"PATH": "/usr/bin:/bin", "PAPIBOT_DB": str(tmp_path / "db")}
    cli = subprocess.run([sys.executable, "-m", "app.cli", "purge", "--days", days], capture_output=True,
                         text=True, env=env, cwd=ROOT_DIR, timeout=60)
    assert cli.returncode == 2 and "at least 1" in cli.stderr
    env["PAPIBOT_RETENTION_DAYS"] = days
    cli = subprocess.run([sys.executable, "-m", "app.cli", "purge"], capture_output=True, text=True, env=env,
                         cwd=ROOT_DIR, timeout=60)
    assert cli.returncode == 2 and "retention_days" in cli.stderr


async def test_doubtful_answers_and_verdicts_on_both_backends_and_their_erasure(services: Services) -> None:
    storage = services.storage
    for text in ("xin giấy xác nhận tình trạng hôn nhân", "ở tỉnh khác thì xin ở đâu", "làm hộ chiếu ở đâu"):
        assert (await say(services, PERSON, text)).diagnosis.decision == "answer"
    [item] = await storage.doubts.pending()
    assert (item.text, item.doubt, item.topic) == ("ở tỉnh khác thì xin ở đâu", "context",
                                                   "xac-nhan-tinh-trang-hon-nhan")
    before, after = await storage.doubts.turns_around(item)
    assert [t.text for t in before] == ["xin giấy xác nhận tình trạng hôn nhân"]
    assert [t.text for t in after] == ["làm hộ chiếu ở đâu"]
    assert await storage.doubts.judge(item.id, "dismissed", "web:lan")
    assert not await storage.doubts.judge(item.id, "right", "x")
    await say(services, PERSON, "ở tỉnh khác thì làm ở đâu")  # still about the passport: in doubt again, left open
    await services.citizen.delete_data(PERSON, True)
    assert await storage.doubts.pending() == [] and await traces(storage, ["ở tỉnh khác"]) == []
    counts = await storage.doubts.counts()  # what the statistics count stays, anonymous; nothing is left to judge
    assert (counts.flagged, counts.open, counts.dismissed) == (2, 0, 1)


def raw_traces(db_path: Path, marker: str) -> list[str]:
    """Which of the database's files hold `marker` in their raw bytes (any case), free pages and old WAL frames too."""
    needle = re.compile(re.escape(marker.encode()), re.IGNORECASE)
    files = [db_path, db_path.with_name(db_path.name + "-wal"), db_path.with_name(db_path.name + "-shm")]
    return [f.name for f in files if f.exists() and needle.search(f.read_bytes())]


@pytest.mark.sqlite_only
async def test_erased_words_leave_no_bytes_in_the_database_files_while_it_is_open(config) -> None:
    marker = "Qzxvarrow7391"  # in the erased citizen's questions only
    services = await open_services(replace(config, admin_chat_id="telegram:-100"))  # new tickets are announced
    try:
        for i in range(40):  # many rows and pages: some split, some freed, one question spilling onto overflow pages
            text = f"cho hỏi về giấy phép {marker} lần {i}" + (" rất dài" * 230 if i == 7 else "")
            await say(services, PERSON, text)
        other = await say(services, citizen(5), "cấp phép bay flycam")  # another citizen's data must stay
        await services.storage.database.scrub()  # the WAL copied into the file, as SQLite does every 1,000 pages
        await say(services, PERSON, f"thêm một câu về {marker}")  # and the newest words only in the WAL
        assert raw_traces(config.db_path, marker) == ["papibot.db", "papibot.db-wal"]  # seen before erasure
        await say(services, PERSON, "/xoadulieu")
        assert "Đã xóa" in (await press(services, PERSON, "del:yes")).text
        assert raw_traces(config.db_path, marker) == []  # not in the file, its free pages, the WAL or its index
        kept = other.diagnosis.ticket_id
        assert kept is None or await services.storage.tickets.get(kept) is not None
    finally:
        await services.close()


async def test_housekeeping_vacuums_the_row_versions_an_erasure_left_on_postgresql(services: Services,
                                                                                   backend: str) -> None:
    if backend != "postgres":
        pytest.skip("SQLite leaves nothing behind at the erasure itself (the test above)")
    await say(services, PERSON, "cấp phép bay flycam quay phim đám cưới")
    await services.citizen.delete_data(PERSON, True)  # the old row versions stay until VACUUM
    await services.storage.retention.purge(time.time() - 86400)  # what housekeeping runs every 6 h
    rows = await services.storage.database.all("SELECT relname FROM pg_stat_user_tables WHERE vacuum_count > 0")
    assert set(ERASED_TABLES) <= {str(r[0]) for r in rows}
