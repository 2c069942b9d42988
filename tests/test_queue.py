"""The reply queue on a real database (SQLite and PostgreSQL): nothing asked is lost, nobody sees another's ticket."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace

import pytest

from bot.engine.core import Core
from bot.engine.delivery import Undeliverable, backoff
from bot.engine.guard import FloodGuard
from bot.engine.router import Router
from bot.engine.services import open_services
from bot.kernel.clock import FixedClock
from bot.kernel.models import OutboxItem, Progress, Reply
from bot.kernel.render import split_message
from bot.store.schema import MIGRATIONS, SCHEMA_VERSION
from bot.store.storage import Storage
from bot.usecases.outcomes import Answered, NotPending, Overtaken, Promoted, succeeded
from handlers.routes import ROUTES
from tests.conftest import admin, citizen, deliver_due, event_for, say

BOTH_BACKENDS = True  # the queue runs on SQLite and on PostgreSQL
UNKNOWN = "cấp phép bay flycam quay phim đám cưới"


async def test_unknown_question_gets_a_ticket_once(services) -> None:
    first = await services.citizen.ask(citizen(), UNKNOWN)
    again = await services.citizen.ask(citizen(), UNKNOWN.upper() + " ?")
    assert first.diagnosis.ticket_id is not None and again.diagnosis.ticket_id == first.diagnosis.ticket_id
    assert f"#{first.diagnosis.ticket_id}" in first.text and "đang chờ trả lời" in again.text
    tickets, total = await services.storage.tickets.pending()
    assert total == 1 and tickets[0].question == UNKNOWN


async def test_other_citizens_ticket_reveals_nothing(services) -> None:
    reply = await services.citizen.ask(citizen(42), UNKNOWN)
    other = await services.citizen.follow(citizen(43), str(reply.diagnosis.ticket_id))
    assert UNKNOWN not in other.text and "Không tìm thấy" in other.text
    own = await services.citizen.follow(citizen(42), f"#{reply.diagnosis.ticket_id}")
    assert UNKNOWN in own.text
    assert "không hợp lệ" in (await services.citizen.follow(citizen(42), "abc")).text


async def test_answer_is_delivered_once_quoting_the_question(services) -> None:
    ticket = (await services.citizen.ask(citizen(), UNKNOWN)).diagnosis.ticket_id
    done = await say(services, admin(), f"/answer {ticket} Nộp hồ sơ tại UBND cấp xã.")
    assert "Đã trả lời" in done.text
    sent: list[str] = []

    async def send(chat_id: str, reply: Reply) -> None:
        sent.append(reply.text)

    assert await deliver_due(services.storage, "console", send) == 1
    assert await deliver_due(services.storage, "console", send) == 0
    assert len(sent) == 1 and UNKNOWN in sent[0] and "UBND cấp xã" in sent[0]
    assert "đã trả lời" in (await services.citizen.follow(citizen(), str(ticket))).text


async def test_answer_survives_a_restart_before_delivery(config) -> None:
    s = await open_services(config)
    ticket = (await s.citizen.ask(citizen(), UNKNOWN)).diagnosis.ticket_id
    await s.admin.answer(admin(), ticket, "Trả lời sau khi khởi động lại.")
    await s.close()
    s = await open_services(config)
    try:
        sent: list[str] = []

        async def send(chat_id: str, reply: Reply) -> None:
            sent.append(chat_id)

        assert await deliver_due(s.storage, "console", send) == 1 and sent == ["42"]
    finally:
        await s.close()


async def test_failed_delivery_is_retried_and_blocked_citizen_marked(config) -> None:
    clock = FixedClock()
    services = await open_services(config, clock=clock)
    try:
        ticket = (await services.citizen.ask(citizen(), UNKNOWN)).diagnosis.ticket_id
        assert ticket is not None
        await services.admin.answer(admin(), ticket, "Trả lời.")

        async def broken(chat_id: str, reply: Reply) -> None:
            raise ConnectionError("network down")

        assert await deliver_due(services.storage, "console", broken) == 0
        assert await services.storage.outbox.due("citizen", ("console",)) == []  # backing off, not lost
        clock.advance(backoff(0))  # the back-off has passed
        told: list[int | None] = []

        async def blocked(chat_id: str, reply: Reply) -> None:
            raise Undeliverable("bot was blocked by the user")

        async def notify(item: OutboxItem, why: str) -> None:
            told.append(item.ticket_id)

        await deliver_due(services.storage, "console", blocked, notify)
        assert told == [ticket]
        [item] = await services.storage.outbox.items(ticket)
        assert (item.status, item.attempts) == ("undeliverable", 2)
    finally:
        await services.close()


async def test_two_admins_answering_at_once_one_wins(config, services) -> None:
    ticket = (await services.citizen.ask(citizen(), UNKNOWN)).diagnosis.ticket_id
    other = await open_services(config)
    try:
        outcomes = await asyncio.gather(services.admin.answer(admin(7), ticket, "A"),
                                        other.admin.answer(admin(8), ticket, "B"))
    finally:
        await other.close()
    assert sum(isinstance(o, Answered) for o in outcomes) == 1
    assert any(isinstance(o, Overtaken | NotPending) for o in outcomes)
    outbox = await services.storage.outbox.due("citizen", ("console",))
    assert len(outbox) == 1


async def test_bad_admin_input_gets_usage_not_a_crash(services) -> None:
    ticket = (await services.citizen.ask(citizen(), UNKNOWN)).diagnosis.ticket_id
    assert "Cách dùng" in (await say(services, admin(), "/answer abc x")).text
    assert "Cách dùng" in (await say(services, admin(), f"/answer {ticket}    ")).text
    assert "Không có câu hỏi #999" in (await say(services, admin(), "/answer 999 x")).text
    await services.admin.close(admin(), ticket, "trùng lặp")
    assert "không trả lời lại" in (await say(services, admin(), f"/answer {ticket} muộn")).text


async def test_long_answer_is_delivered_in_telegram_sized_parts(services) -> None:
    ticket = (await services.citizen.ask(citizen(), UNKNOWN)).diagnosis.ticket_id
    long_answer = ("Hồ sơ gồm tờ khai và giấy tờ tùy thân. " * 130).strip()
    assert len(long_answer) > 5000
    await services.admin.answer(admin(), ticket, long_answer)
    item = (await services.storage.outbox.due("citizen", ("console",)))[0]
    parts = split_message(item.text)
    assert len(parts) >= 2 and all(len(p) <= 4096 for p in parts)
    assert "".join(parts).count("Hồ sơ gồm") == 130


async def test_close_spam_silently_and_duplicates_politely(services) -> None:
    spam = (await services.citizen.ask(citizen(1), "mua hàng giá rẻ tại đây")).diagnosis.ticket_id
    dup = (await services.citizen.ask(citizen(2), UNKNOWN)).diagnosis.ticket_id
    await services.admin.close(admin(), spam, "spam")
    await services.admin.close(admin(), dup, "trùng câu hỏi đã trả lời")
    outbox = await services.storage.outbox.due("citizen", ("console",))
    assert [i.chat_id for i in outbox] == ["2"] and "đã được đóng" in outbox[0].text
    actions = [a["action"] for a in await services.storage.audit.recent()]
    assert actions.count("close") == 2


async def test_promoted_answer_answers_the_next_citizen_directly(config, services) -> None:
    question = "xin giấy phép tổ chức lễ hội truyền thống của bản"
    first = await services.citizen.ask(citizen(1), question)
    assert first.diagnosis.decision == "queue"  # "giấy phép" alone names no procedure: nothing to suggest
    assert question in (await say(services, admin(), "/queue")).text
    await services.admin.answer(admin(), 1, "Liên hệ UBND cấp xã nơi tổ chức lễ hội để được hướng dẫn.")
    assert "Cách dùng" in (await say(services, admin(), "/promote 1")).text  # never the citizen's words as is
    done = await services.admin.promote_new(admin(), 1, "Xin phép tổ chức lễ hội truyền thống")
    assert isinstance(done, Promoted) and done.new
    reply = await services.citizen.ask(citizen(2), question)
    assert reply.diagnosis.decision == "answer" and "Liên hệ UBND cấp xã" in reply.text
    restarted = await open_services(config)  # survives a restart: it lives in the knowledge folder
    try:
        assert (await restarted.citizen.ask(citizen(3), question)).diagnosis.decision == "answer"
    finally:
        await restarted.close()


async def test_promote_as_example_of_existing_topic(services) -> None:
    question = "em bé chào đời rồi thì làm gì tiếp"
    assert (await services.citizen.ask(citizen(), question)).diagnosis.decision != "answer"
    await services.storage.tickets.create(citizen(), question, "x")
    await services.admin.answer(admin(), 1, "Xem hướng dẫn đăng ký khai sinh.")
    assert "khai-sinh" in (await say(services, admin(), "/promote 1 khai-sinh")).text
    reply = await services.citizen.ask(citizen(5), question)
    assert reply.diagnosis.decision == "answer" and reply.diagnosis.topic == "khai-sinh"
    assert "Không có chủ đề" in (await say(services, admin(), "/promote 1 khong-co")).text


async def test_ratings_and_counts(services) -> None:
    r = await services.citizen.ask(citizen(), "làm giấy khai sinh cho con cần gì")
    qid = int(next(data for row in r.buttons for _, data in row if data.startswith("fb:")).split(":")[1])
    assert "Cảm ơn" in (await services.citizen.rate(citizen(), qid, True)).text
    assert "không còn hiệu lực" in (await services.citizen.rate(citizen(9), qid, False)).text
    assert (await services.storage.tickets.stats()).helpful == 1  # the stranger's rating was refused
    ticket = (await services.citizen.ask(citizen(), UNKNOWN)).diagnosis.ticket_id
    await services.admin.answer(admin(), ticket, "ok")
    stats = await services.storage.tickets.stats()
    assert (stats.received, stats.answered, stats.pending, stats.bot_answers) == (1, 1, 0, 1)
    assert stats.helpful_rate == 1.0 and stats.median_hours is not None


async def test_citizen_can_erase_their_data(services) -> None:
    await services.citizen.ask(citizen(42), UNKNOWN)
    await services.citizen.ask(citizen(43), UNKNOWN)
    assert "Đã xóa" in (await services.citizen.delete_data(citizen(42), True)).text
    assert (await services.storage.tickets.of("console", "42")) == []
    assert len(await services.storage.tickets.of("console", "43")) == 1


async def test_schema_upgrade_from_version_1_keeps_tickets(tmp_path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[0] + "\nPRAGMA user_version = 1;")
        db.execute("INSERT INTO tickets (channel, chat_id, user_id, question, created_at)"
                   " VALUES ('telegram', 5, 5, 'câu hỏi cũ', 1.0)")
    storage = await Storage.open(path)
    try:
        ticket = await storage.tickets.get(1)
        assert ticket is not None and ticket.question == "câu hỏi cũ" and ticket.status == "pending"
        assert await storage.database.value("SELECT version FROM schema_version") == SCHEMA_VERSION
    finally:
        await storage.close()


async def test_a_learned_topic_outranks_the_out_of_scope_entry_it_now_covers(services) -> None:
    asked = await services.citizen.ask(citizen(1), "nhận con nuôi cần giấy tờ gì")
    number = asked.diagnosis.ticket_id
    assert asked.diagnosis.decision == "queue" and number is not None  # adoption is known to be out of scope
    await services.admin.answer(admin(), number, "Nộp hồ sơ tại UBND cấp xã nơi trẻ thường trú.")
    assert succeeded(await services.admin.promote_new(admin(), number, "Đăng ký nuôi con nuôi trong nước"))
    for paraphrase in ("nhận con nuôi cần giấy tờ gì", "nhận con nuôi ở đâu", "nhan con nuoi can gi"):
        reply = await services.citizen.ask(citizen(2), paraphrase)
        assert reply.diagnosis.decision == "answer" and "UBND cấp xã nơi trẻ" in reply.text, paraphrase
    assert (await services.citizen.ask(citizen(2), "sang tên xe máy")).diagnosis.decision == "queue"  # others stay out


@pytest.mark.sqlite_only
async def test_a_new_ticket_number_does_not_depend_on_what_the_reader_sees(services) -> None:
    reader = services.storage.database._reader  # the reader's snapshot is what this test is about
    await reader.execute("BEGIN")  # a read snapshot held open (a long report, a slow page) from before the ticket
    await reader.execute_fetchall("SELECT count(*) FROM tickets")
    try:
        reply = await say(services, citizen(), UNKNOWN)
    finally:
        await reader.execute("ROLLBACK")
    assert reply.diagnosis.ticket_id is not None and f"#{reply.diagnosis.ticket_id}" in reply.text
    assert [t.id for t in await services.storage.tickets.by_status()] == [reply.diagnosis.ticket_id]


@pytest.mark.sqlite_only
async def test_two_thousand_concurrent_questions_each_get_their_number(config) -> None:
    s = await open_services(replace(config, admin_chat_id="telegram:-100"))
    core = Core(s, Router(s, ROUTES, FloodGuard(0)))
    told: dict[str, str] = {}

    class Recorder:
        channel = "console"

        async def send(self, chat_id: str, reply: Reply, reply_to: str | None = None,
                       progress: Progress | None = None) -> str | None:
            told[chat_id] = reply.text
            return None

    async def asked_while_officers_read(i: int) -> None:  # reads overlapping every write
        await asyncio.gather(core.process(event_for(citizen(i), f"{UNKNOWN} lần {i}"), Recorder()),
                             s.storage.tickets.pending(5), s.storage.tickets.of("console", str(i - 1)))

    try:
        await asyncio.gather(*(asked_while_officers_read(i) for i in range(2000)))
        tickets = {t.chat_id: t.id for t in await s.storage.tickets.by_status()}
        announced = {int(r[0]) for r in
                     await s.storage.database.all("SELECT ticket_id FROM outbox WHERE kind = 'admin_post'")}
    finally:
        await s.close()
    assert len(tickets) == 2000
    errors = [chat for chat, text in told.items() if f"#{tickets[chat]}" not in text]
    assert errors == [] and len(told) == 2000  # every citizen was told their own number, nobody an error
    assert announced == set(tickets.values())  # and the officers saw every new ticket
