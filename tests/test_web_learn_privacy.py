"""The web console's learn page never publishes personal data in a topic's answer, title or questions; an officer
may keep a name with a reason, which is audited, never a number or an e-mail address."""

from __future__ import annotations

import pytest

from bot.engine.services import Services
from bot.usecases.outcomes import succeeded
from tests.conftest import admin, citizen
from tests.webkit import add_accounts, client, csrf, login

UNKNOWN = "xin phép nuôi ong mật ở bản thì làm thế nào"
GREETING = "Chào anh Lò Văn Páo, anh mang đơn lên UBND xã; cần gì gọi em 0912345678."


@pytest.fixture
async def web(services):
    await add_accounts(services)
    async with client(services) as c:
        assert (await login(c, "lan")).status_code == 303
        yield c


async def answered_ticket(services: Services, answer: str) -> int:
    number = (await services.citizen.ask(citizen(9), UNKNOWN)).diagnosis.ticket_id
    assert number is not None
    assert succeeded(await services.admin.answer(admin(), number, answer))
    return number


def form(page: str, ticket: int, answer: str, **extra: str) -> dict[str, str]:
    return {"csrf": csrf(page), "ticket": str(ticket), "topic": "", "title": "Xin phép nuôi ong",
            "questions": "xin phép nuôi ong mật", "answer": answer, "action": "save", **extra}


async def test_an_answer_with_a_name_or_a_number_is_never_shown_to_the_next_citizen(services: Services, web) -> None:
    ticket = await answered_ticket(services, GREETING)
    page = await web.get("/learn", params={"ticket": str(ticket)})
    assert "Lò Văn Páo" in page.text and "thông tin cá nhân" in page.text and "Xác nhận lưu" not in page.text
    for answer in (GREETING, "Anh Páo ơi, mang đơn lên xã nhé.", "Ông LÒ VĂN PÁO nộp CCCD 01419000 1234 rồi",
                   "Gửi thêm ảnh qua pao.lo @ gmail.com", "Gọi O912.345.678 nhé"):
        refused = await web.post("/learn", data=form(page.text, ticket, answer))
        assert refused.status_code == 200 and "thông tin cá nhân" in refused.text, answer
        assert services.brain.kb.topic(f"hoi-dap-{ticket}") is None
    clean = "Anh mang đơn đề nghị lên UBND xã, hoặc gọi số máy bàn 0212 3852 360 của xã."
    saved = await web.post("/learn", data=form(page.text, ticket, clean))
    assert saved.status_code == 303 and services.brain.kb.topic(f"hoi-dap-{ticket}") is not None
    reply = await services.citizen.ask(citizen(50), UNKNOWN)
    assert reply.diagnosis.decision == "answer" and "0212 3852 360" in reply.text
    assert "Páo" not in reply.text and "0912345678" not in reply.text


async def test_a_name_is_kept_only_with_a_reason_which_is_audited(services: Services, web) -> None:
    ticket = await answered_ticket(services, "Hỏi đồng chí Cầm Văn Nọi, cán bộ tiếp dân của xã.")
    page = await web.get("/learn", params={"ticket": str(ticket)})
    assert 'name="allow_name"' in page.text  # a name alone: the officer may give a reason to keep it
    answer = "Hỏi đồng chí Cầm Văn Nọi, cán bộ tiếp dân của xã."
    refused = await web.post("/learn", data=form(page.text, ticket, answer))
    assert refused.status_code == 200 and services.brain.kb.topic(f"hoi-dap-{ticket}") is None
    with_number = await web.post("/learn", data=form(page.text, ticket, answer + " Số riêng 0988 123 456.",
                                                     allow_name="tên công khai"))
    assert with_number.status_code == 200 and 'name="allow_name"' not in with_number.text  # never overridable
    saved = await web.post("/learn", data=form(page.text, ticket, answer, allow_name="cán bộ tiếp dân, tên công khai"))
    assert saved.status_code == 303 and services.brain.kb.topic(f"hoi-dap-{ticket}") is not None
    [row] = [a for a in await services.storage.audit.recent() if a["action"] == "allow_name"]
    assert row["admin_id"] == "web:lan" and row["ticket_id"] == ticket and row["at"] > 0
    assert row["detail"] == f"hoi-dap-{ticket}: giữ 1 họ tên; lý do: cán bộ tiếp dân, tên công khai"
    topic = services.brain.kb.topic(f"hoi-dap-{ticket}")
    assert topic is not None and "Nguyễn Thị Lan" not in " ".join(topic.legal_basis)  # no officer's name shown
