"""The admin and staff use cases called directly, on a real SQLite database: typed arguments in, typed outcomes out,
and each checks the caller's role itself (a correction too, wherever it comes from)."""

from __future__ import annotations

import pytest

from bot.engine.services import Services
from bot.kernel.models import STAFF, User
from bot.usecases.admin import MAX_ANSWER
from bot.usecases.outcomes import (
    ADMIN_ONLY,
    STAFF_ONLY,
    Answered,
    Assigned,
    Blank,
    Closed,
    Corrected,
    NoSuchOfficer,
    NotAnswered,
    NotFound,
    NotPending,
    Preview,
    Promoted,
    QueuePage,
    Refused,
    Reloaded,
    StatusSet,
    TooLong,
    Unchanged,
    UnknownTask,
    UnknownTopic,
)
from tests.conftest import admin, citizen
from tests.webkit import add_accounts, client, csrf, login

UNKNOWN = "cấp phép bay flycam quay phim đám cưới"
STAFF_USER = User("console", "9", "9", "Lò Văn Minh", STAFF)


async def _ticket(services: Services, user: int = 42) -> int:
    number = (await services.citizen.ask(citizen(user), UNKNOWN)).diagnosis.ticket_id
    assert number is not None
    return number


async def _kinds(services: Services, ticket: int) -> list[str]:
    return [d["kind"] for d in await services.storage.outbox.deliveries(ticket) if d["lane"] == "citizen"]


async def test_answering_a_pending_ticket_queues_it_for_the_citizen(services: Services) -> None:
    ticket = await _ticket(services)
    outcome = await services.admin.answer(admin(), ticket, "  Liên hệ Sở Xây dựng.  ")
    assert isinstance(outcome, Answered) and outcome.ticket.id == ticket
    outbox = await services.storage.outbox.due("citizen", ("console",))
    assert [(item.chat_id, item.ticket_id) for item in outbox] == [("42", ticket)]
    assert "Liên hệ Sở Xây dựng." in outbox[0].text and UNKNOWN in outbox[0].text
    stored = await services.storage.tickets.get(ticket)
    assert stored is not None and stored.status == "answered" and stored.answer == "Liên hệ Sở Xây dựng."


async def test_an_answered_ticket_is_not_answered_again(services: Services) -> None:
    ticket = await _ticket(services)
    await services.admin.answer(admin(), ticket, "Lần một.")
    again = await services.admin.answer(admin(8), ticket, "Lần hai.")
    assert isinstance(again, NotPending) and again.ticket.status == "answered"
    assert await _kinds(services, ticket) == ["answer"]


async def test_bad_answers_are_named_by_their_outcome(services: Services) -> None:
    ticket = await _ticket(services)
    assert await services.admin.answer(admin(), 999, "x") == NotFound(999)
    assert await services.admin.answer(admin(), ticket, "   ") == Blank()
    assert await services.admin.answer(admin(), ticket, "x" * (MAX_ANSWER + 1)) == TooLong(MAX_ANSWER + 1, MAX_ANSWER)
    assert await services.admin.answer(STAFF_USER, ticket, "x") == Refused(ADMIN_ONLY)
    assert await services.admin.answer(citizen(), ticket, "x") == Refused(ADMIN_ONLY)
    stored = await services.storage.tickets.get(ticket)
    assert stored is not None and stored.status == "pending" and await _kinds(services, ticket) == []


async def test_a_correction_is_numbered_and_only_for_answered_tickets(services: Services) -> None:
    ticket = await _ticket(services)
    assert await services.inbox.correct(admin(), ticket, "Sớm quá.") == NotAnswered(ticket)
    await services.admin.answer(admin(), ticket, "Liên hệ Sở Xây dựng.")
    assert isinstance(await services.inbox.correct(admin(), ticket, "Liên hệ Sở Xây dựng."), Unchanged)
    first = await services.inbox.correct(admin(), ticket, "Liên hệ Sở Văn hóa.")
    second = await services.inbox.correct(admin(), ticket, "Liên hệ Cảng vụ hàng không.")
    assert isinstance(first, Corrected) and isinstance(second, Corrected) and (first.number, second.number) == (1, 2)
    assert await _kinds(services, ticket) == ["answer", "correction:1", "correction:2"]
    assert await services.inbox.correct(admin(), 999, "x") == NotFound(999)


async def test_a_staff_member_cannot_correct_an_answer(services: Services) -> None:
    ticket = await _ticket(services)
    await services.admin.answer(admin(), ticket, "Liên hệ Sở Xây dựng.")
    web_staff = User("web", "minh", "minh", "Lò Văn Minh", STAFF)  # as the console names its officers
    for user in (STAFF_USER, web_staff):
        assert await services.inbox.correct(user, ticket, "Liên hệ Sở Văn hóa.") == Refused(ADMIN_ONLY)
    assert await _kinds(services, ticket) == ["answer"]
    assert "correct" not in [a["action"] for a in await services.storage.audit.recent()]


async def test_a_web_correction_by_a_non_admin_is_refused(services: Services) -> None:
    ticket = await _ticket(services)
    await services.admin.answer(admin(), ticket, "Liên hệ Sở Xây dựng.")
    await add_accounts(services)
    async with client(services) as web:
        assert (await login(web, "minh")).status_code == 303  # a staff account
        token = csrf((await web.get("/dashboard")).text)
        posted = await web.post(f"/inbox/{ticket}/answer", data={"answer": "Liên hệ Sở Văn hóa.", "action": "send",
                                                                  "csrf": token})
    assert posted.status_code == 403
    assert await _kinds(services, ticket) == ["answer"]
    stored = await services.storage.tickets.get(ticket)
    assert stored is not None and stored.answer == "Liên hệ Sở Xây dựng."


async def test_closing_tells_the_citizen_unless_it_is_spam(services: Services) -> None:
    spam, duplicate = await _ticket(services, 1), await _ticket(services, 2)
    closed = await services.admin.close(admin(), spam, "spam")
    assert isinstance(closed, Closed) and not closed.told
    told = await services.admin.close(admin(), duplicate, "trùng lặp")
    assert isinstance(told, Closed) and told.told
    assert isinstance(await services.admin.close(admin(), duplicate, "lần nữa"), NotPending)
    assert isinstance(await services.admin.answer(admin(), duplicate, "muộn"), NotPending)
    assert await _kinds(services, spam) == [] and await _kinds(services, duplicate) == ["closed"]


async def test_the_queue_preview_and_assignment(services: Services) -> None:
    ticket = await _ticket(services)
    page = await services.admin.queue(admin())
    assert isinstance(page, QueuePage) and [t.id for t in page.tickets] == [ticket] and not page.has_next
    assert await services.admin.queue(STAFF_USER) == Refused(ADMIN_ONLY)
    stored = await services.storage.tickets.get(ticket)
    assert stored is not None
    preview = services.inbox.preview(admin(), stored, "Liên hệ <Sở Xây dựng>.")
    assert isinstance(preview, Preview) and not preview.html  # the console shows plain text: no markup, as typed
    assert preview.text.startswith(f"Trả lời câu hỏi #{ticket}") and "Liên hệ <Sở Xây dựng>." in preview.text
    await add_accounts(services)
    assigned = await services.inbox.assign(admin(), ticket, "lan")
    assert isinstance(assigned, Assigned) and assigned.name == "Nguyễn Thị Lan"
    assert await services.storage.inbox.assigned_to(ticket) == "web:lan"
    assert await services.inbox.assign(admin(), ticket, "khong-co") == NoSuchOfficer("khong-co")


async def test_promotion_and_reload(services: Services) -> None:
    ticket = await _ticket(services)
    assert await services.admin.promote(admin(), ticket, "tra-cuu-thu-tuc") == NotAnswered(ticket)
    await services.admin.answer(admin(), ticket, "Liên hệ Cảng vụ hàng không.")
    assert await services.admin.promote(admin(), ticket, "khong-co") == UnknownTopic("khong-co")
    assert await services.admin.promote(STAFF_USER, ticket, "tra-cuu-thu-tuc") == Refused(ADMIN_ONLY)
    done = await services.admin.promote(admin(), ticket, "tra-cuu-thu-tuc", "xin phép bay flycam quay phim")
    assert done == Promoted(ticket, "tra-cuu-thu-tuc")
    assert "xin phép bay flycam quay phim" in services.brain.kb.topic("tra-cuu-thu-tuc").questions  # type: ignore
    reloaded = await services.admin.reload(admin())
    assert isinstance(reloaded, Reloaded) and reloaded.topics == len(services.brain.kb.topics)


@pytest.mark.parametrize("status", ["done", "overdue"])
async def test_a_task_status_is_recorded_by_staff_only(services: Services, status: str) -> None:
    outcome = await services.staff.set_status(STAFF_USER, "5.6", status, "Đã gửi công văn")  # type: ignore[arg-type]
    assert isinstance(outcome, StatusSet) and outcome.task["status"] == status and "status" in outcome.changed
    assert outcome.task["note"] == "Đã gửi công văn" and outcome.task["status_by"] == STAFF_USER.key
    assert await services.staff.set_status(citizen(), "5.6", "done", None) == Refused(STAFF_ONLY)
    assert await services.staff.set_status(STAFF_USER, "99.99", "done", None) == UnknownTask("99.99")
    assert await services.staff.counts(citizen()) == Refused(STAFF_ONLY)
