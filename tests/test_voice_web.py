"""The web console's side of what citizens say: the feedback register, the survey's chart and CSV, the report."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import time

import pytest

from bot.engine.services import open_services
from bot.kernel.clock import FixedClock
from bot.kernel.models import Reply
from tests.conftest import admin, citizen, deliver_due, say
from tests.test_voice import PERSON, fill_feedback, take
from tests.webkit import add_accounts, client, csrf, login

BOTH_BACKENDS = True


@pytest.fixture
async def web(services):
    await add_accounts(services)
    async with client(services) as c:
        yield c


async def test_register_pages_are_for_admins_and_need_csrf(services, web) -> None:
    await fill_feedback(services, PERSON)
    for path in ("/feedback", "/feedback/1"):
        assert (await web.get(path)).headers["location"] == "/login"
    await login(web, "minh")
    assert (await web.get("/feedback")).status_code == 403 and (await web.get("/feedback/1")).status_code == 403
    assert (await web.get("/survey.csv")).status_code == 200  # staff may download the anonymous figures
    await login(web, "lan")
    page = await web.get("/feedback")
    assert page.status_code == 200 and "PA-1" in page.text and "Thủ tục đăng ký khai sinh" in page.text
    assert "Chưa đặt thời hạn" in page.text
    item = await web.get("/feedback/1")
    assert "Lò Thị Mai" in item.text and "0912345678" in item.text  # the officer sees who to answer
    assert (await web.post("/feedback/1/answer", data={"answer": "x"})).status_code == 403  # no CSRF token
    assert (await web.get("/feedback/99")).status_code == 404
    assert (await services.storage.feedback.item(1)).status == "received"  # type: ignore[union-attr]


async def test_officer_transfers_answers_and_publishes_on_the_register(services, web) -> None:
    await fill_feedback(services, PERSON)
    await login(web, "lan")
    token = csrf((await web.get("/feedback/1")).text)
    refused = await web.post("/feedback/1/status", data={"csrf": token, "status": "transferred", "body": ""})
    assert "cơ quan nhận" in (await web.get(refused.headers["location"])).text
    moved = await web.post("/feedback/1/status", data={"csrf": token, "status": "transferred", "body": "Sở Tư pháp"})
    assert "Sở Tư pháp" in (await web.get(moved.headers["location"])).text
    sent = await web.post("/feedback/1/answer", data={"csrf": token, "answer": "Đã bỏ yêu cầu nộp bản sao."})
    page = await web.get(sent.headers["location"])
    assert "Đã gửi câu trả lời cho PA-1" in page.text and "Đánh dấu đã công khai" in page.text
    received: list[str] = []

    async def send(chat_id: str, reply: Reply) -> None:
        received.append(reply.text)

    await deliver_due(services.storage, "zalo_oa", send)
    await deliver_due(services.storage, "zalo_oa", send)
    assert any("Đã bỏ yêu cầu nộp bản sao" in text for text in received)
    assert "đã gửi" in (await web.get("/feedback/1")).text
    await web.post("/feedback/1/status", data={"csrf": token, "status": "published"})
    assert "Đã công khai" in (await web.get("/feedback?status=published")).text
    assert "Đã công khai" in (await web.get("/dashboard")).text


async def test_deadlines_per_status_mark_overdue_items(config) -> None:
    clock = FixedClock(time.time())
    services = await open_services(dataclasses.replace(config, feedback_deadlines=(("received", 5),)), clock=clock)
    try:
        await add_accounts(services)
        await fill_feedback(services, PERSON)
        async with client(services) as web:
            await login(web, "lan")
            assert "quá hạn" not in (await web.get("/feedback")).text
            clock.advance(6 * 86400)  # nobody took it up for six days
            await login(web, "lan")
            page = await web.get("/feedback")
        assert "quá hạn" in page.text and "đã tiếp nhận 5 ngày" in page.text
    finally:
        await services.close()


async def test_dashboard_charts_each_element_with_its_answers_and_the_csv_and_report_agree(services, web) -> None:
    await take(services, citizen(1), "1", "1", "4", "5", "3", "2")
    await take(services, citizen(2), "5", "3", "3", "2", "1")  # feedback (behind «Xem thêm»), online
    await login(web, "minh")
    page = (await web.get("/dashboard")).text
    assert 'id="live-survey"' in page and 'id="live-feedback"' in page  # live sections after the reply queue's
    assert page.index('id="live-reply_queue"') < page.index('id="live-survey"') < page.index('id="live-feedback"')
    assert "Khảo sát sự hài lòng của người dân" in page and "<svg" in page and "Công chức giải quyết công việc" in page
    assert "1 câu" in page and "chưa đủ để đọc xu hướng" in page  # two answers never read as a trend
    text = re.sub(r"<[^>]+>", "", page)  # a name wrapped onto two lines of the chart reads as one
    assert "PAPI: III. Trách nhiệm giải trình với người dân" in text  # as on the progress bars
    rows = list(csv.DictReader(io.StringIO((await web.get("/survey.csv")).text.lstrip("\ufeff"))))
    access = [r for r in rows if r["yeu_to"] == "access" and r["thang"] == "tong"]
    assert access[0]["so_cau_tra_loi"] == "2" and access[0]["diem_trung_binh"] == "3.00"
    feedback = [r for r in rows if r["yeu_to"] == "feedback" and r["thang"] == "tong"]
    assert feedback[0]["so_cau_tra_loi"] == "1" and feedback[0]["muc_1"] == "1"
    report = (await web.get("/report")).text
    assert "<caption>Khảo sát sự hài lòng của người dân: 6 tháng" in report
    assert "III. Trách nhiệm giải trình với người dân" in report  # the area an element informs, by its name
    assert "Quyết định 1001/QĐ-BNV ngày 11/12/2023" in report
    assert "<caption>Phản ánh, kiến nghị về quy định hành chính: 6 tháng" in report
    counts = await say(services, admin(), "/counts")
    assert "Lượt khảo sát: 2 lượt" in counts.text
    assert "Tiếp cận dịch vụ: 3,0/5 (2 câu trả lời, còn ít)" in counts.text
