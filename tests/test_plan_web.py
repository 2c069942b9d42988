"""The plan in the web console, in-process on SQLite and PostgreSQL: periods, tasks and their history, the
dashboard's period and "as of", and the report as a print view (and PDF when Chromium is there)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.engine.services import Services, open_services
from bot.kernel.config import Config
from tests.conftest import citizen
from tests.webkit import add_accounts, client, csrf, login

BOTH_BACKENDS = True
TODAY = dt.date(2026, 8, 1)
ROUTES = ("/plan", "/plan/1/task/new", "/plan/task/1", "/report", "/report.pdf", "/dashboard?period=1")


@pytest.fixture
async def services(config: Config) -> AsyncIterator[Services]:
    """The console's services with the report's settings, the plan judged on 1 August 2026."""
    signed = dataclasses.replace(config, report_number="125/BC-VPUB", report_signer_title="Chánh Văn phòng",
                                 report_signer_name="Nguyễn Văn An")
    s = await open_services(signed, today=lambda: TODAY)
    yield s
    await s.close()


@pytest.fixture
async def web(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    await add_accounts(services)
    async with client(services) as c:
        assert (await login(c, "minh")).status_code == 303  # staff: the plan is theirs to keep
        yield c


async def _period_id(services: Services, name: str) -> int:
    return next(p.id for p in await services.plan.periods() if p.name == name)


async def test_every_plan_route_needs_sign_in_and_every_form_its_token(services: Services) -> None:
    await add_accounts(services)
    async with client(services) as anonymous:
        for path in ROUTES:
            response = await anonymous.get(path)
            assert response.status_code == 303 and response.headers["location"] == "/login", path
        await login(anonymous, "minh")
        for path in ("/plan", "/plan/1/task/new", "/plan/task/1", "/dashboard/task"):
            assert (await anonymous.post(path, data={"csrf": "forged", "name": "2027"})).status_code == 403
    assert [p.name for p in await services.plan.periods()] == ["6 tháng cuối năm 2021"]


async def test_a_period_is_created_with_copied_tasks_and_each_period_shows_its_as_of_day(services, web) -> None:
    page = await web.get("/plan")
    assert "6 tháng cuối năm 2021" in page.text and "Đã kết thúc" in page.text and "30/06/2021" in page.text
    old = await _period_id(services, "6 tháng cuối năm 2021")
    made = await web.post("/plan", data={"csrf": csrf(page.text), "name": "6 tháng cuối năm 2026",
                                         "copy_from": str(old)})
    new = await _period_id(services, "6 tháng cuối năm 2026")
    assert made.status_code == 303 and made.headers["location"].startswith(f"/dashboard?period={new}&msg=")
    now = await web.get("/dashboard")
    assert "Kế hoạch 6 tháng cuối năm 2026</strong> (01/07/2026–31/12/2026)" in now.text
    assert "Tình trạng tính đến ngày <strong>01/08/2026</strong>" in now.text
    assert "Lệnh trò chuyện đọc kỳ này" in now.text
    assert "Quá hạn" in now.text and now.text.count("<svg") == 3  # areas, the queue, the survey
    then = await web.get("/dashboard", params={"period": str(old)})
    assert "Kế hoạch 6 tháng cuối năm 2021</strong> (01/07/2021–31/12/2021)" in then.text
    assert "Kỳ đã kết thúc" in then.text and "<strong>30/06/2021</strong> theo báo cáo của kỳ" in then.text
    assert "Chưa đến hạn" not in then.text and "Chưa có kết quả" in then.text
    again = await web.post("/plan", data={"csrf": csrf(page.text), "name": "6 tháng cuối năm 2026"})
    assert "err=" in again.headers["location"]
    nameless = await web.post("/plan", data={"csrf": csrf(page.text), "name": "Kế hoạch bổ sung"},
                              follow_redirects=True)
    assert "không cho biết thời gian" in nameless.text
    dated = await web.post("/plan", data={"csrf": csrf(page.text), "name": "Kế hoạch bổ sung", "starts": "2026-09-01",
                                          "ends": "2026-09-30"}, follow_redirects=True)
    assert "Đã tạo kỳ «Kế hoạch bổ sung» (01/09/2026–30/09/2026)" in dated.text


async def test_tasks_are_added_and_edited_and_their_page_shows_who_changed_what_when(services, web) -> None:
    page = await web.get("/plan")
    await web.post("/plan", data={"csrf": csrf(page.text), "name": "6 tháng cuối năm 2026"})
    period = await _period_id(services, "6 tháng cuối năm 2026")
    form = await web.get(f"/plan/{period}/task/new")
    assert form.status_code == 200 and "Thêm nhiệm vụ vào kế hoạch 6 tháng cuối năm 2026" in form.text
    added = await web.post(f"/plan/{period}/task/new", data={
        "csrf": csrf(form.text), "area": "VIII", "task": "Triển khai trợ lý papibot trên Zalo",
        "lead": "Trung tâm Thông tin", "partners": "Phòng KSTTHC; Trung tâm PVHCC", "deadline": "Quý IV/2026",
        "status": "upcoming"}, follow_redirects=True)
    assert "Đã thêm nhiệm vụ 8.1" in added.text and "Nhiệm vụ 8.1: Triển khai trợ lý papibot trên Zalo" in added.text
    task_url = str(added.url.path)
    fields = {"csrf": csrf(added.text), "area": "VIII", "task": "Triển khai trợ lý papibot trên Zalo",
              "lead": "Trung tâm Thông tin", "partners": "Phòng KSTTHC; Trung tâm PVHCC", "output": "",
              "deadline": "Quý IV/2026", "due": "2026-12-31", "status": "done", "note": "Đã chạy thử",
              "evidence": "https://sonla.gov.vn/papibot", "result": ""}
    edited = await web.post(task_url, data=fields, follow_redirects=True)
    assert "Đã cập nhật nhiệm vụ 8.1" in edited.text
    history = edited.text.split("Lịch sử thay đổi")[1]
    rows = re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td><td class=\"pre\">([^<]*)</td>"
                      r"<td class=\"pre\">([^<]*)</td></tr>", history)
    seen = {(by, field, old, new) for _, by, field, old, new in rows}
    assert ("web:minh", "Tình trạng", "Chưa đến hạn", "Hoàn thành") in seen
    assert ("web:minh", "Minh chứng", "", "https://sonla.gov.vn/papibot") in seen
    assert ("web:minh", "Ghi chú", "", "Đã chạy thử") in seen and ("web:minh", "Tạo nhiệm vụ", "", "thêm mới") in seen
    assert all(re.fullmatch(r"\d\d:\d\d \d\d/\d\d/\d{4}", at) for at, *_ in rows)
    assert 'href="https://sonla.gov.vn/papibot"' in edited.text
    refused = await web.post(task_url, data={**fields, "evidence": "javascript:alert(1)"}, follow_redirects=True)
    assert "minh chứng phải bắt đầu bằng http" in refused.text
    assert len(re.findall(r"<tr><td>\d\d:", refused.text)) == len(rows)  # nothing more was recorded
    assert (await web.get("/plan/task/999999")).status_code == 404
    assert (await web.get("/plan/task/99999999999999999999")).status_code == 404
    assert (await web.get("/plan/999999/task/new")).status_code == 404


async def test_the_dashboard_quick_edit_records_the_status_in_the_period_shown(services, web) -> None:
    old = await _period_id(services, "6 tháng cuối năm 2021")
    task = await services.plan.task_by_code("7.3", old)
    assert task is not None
    page = await web.get("/dashboard", params={"period": str(old)})
    done = await web.post("/dashboard/task", data={"csrf": csrf(page.text), "task": str(task.id), "period": str(old),
                                                   "status": "done", "note": "Đã ban hành tháng 12/2021"})
    assert done.headers["location"].startswith(f"/dashboard?period={old}&msg=")
    shown = await web.get("/dashboard", params={"period": str(old)})
    assert "1 nhiệm vụ được cập nhật sau ngày đó" in shown.text and "Đã ban hành tháng 12/2021" in shown.text
    after = await services.storage.plan.task(task.id)
    assert after is not None and after.status == "done" and after.status_by == "web:minh"


async def test_the_report_opens_as_a_print_view_with_header_signer_and_live_figures(services, web) -> None:
    await services.citizen.ask(citizen(), "cấp phép bay flycam quay phim đám cưới")  # one question queued
    old = await _period_id(services, "6 tháng cuối năm 2021")
    report = await web.get("/report", params={"period": str(old)})
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert "content-disposition" not in report.headers  # opened in the browser, not downloaded
    text = report.text
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "ỦY BAN NHÂN DÂN TỈNH SƠN LA",
                     "VĂN PHÒNG", "Số: 125/BC-VPUB", "CHÁNH VĂN PHÒNG", "Nguyễn Văn An",
                     "Kế hoạch 6 tháng cuối năm 2021 (01/07/2021–31/12/2021)", "tính đến ngày 30/06/2021",
                     "Số liệu trực tiếp bên cạnh kế hoạch", "Hàng đợi trả lời của papibot", "Nhiệm vụ cụ thể"):
        assert expected in text, expected
    assert re.search(r"<td>Câu hỏi chuyển cán bộ</td><td class=\"n\">1</td>", text)
    assert "<style" not in text and " style=" not in text and "<script" not in text  # the console's policy holds
    assert "style-src 'self'" in report.headers["content-security-policy"]
    current = await web.get("/report")
    assert "Kế hoạch 6 tháng cuối năm 2021" in current.text  # the only period: the one commands read
    css = await web.get("/report.css")
    assert css.headers["content-type"].startswith("text/css") and "counter(pages)" in css.text
    assert "break-inside: avoid" in css.text and "table-header-group" in css.text
    assert (await web.get("/report", params={"period": "424242"})).status_code == 404


@pytest.mark.sqlite_only
async def test_the_report_as_pdf_or_a_clear_message(services, web) -> None:
    response = await web.get("/report.pdf")
    if shutil.which("chromium") is None:
        assert response.status_code == 503 and "Không tìm thấy trình duyệt Chromium" in response.text
        return
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline")
