"""The leader's and the citizen's path end to end, in a real browser (Debian's Chromium through Playwright,
JavaScript off for the officers) beside the console chat: a plan period made by copying the 2021 plan's tasks
and one task edited (its history shown); a citizen takes the satisfaction survey and files feedback on a
regulation by typing into the console chat, the dashboard and `papibot survey stats --json` count the answer;
the feedback is transferred and answered on the web register and the answer reaches the citizen on the console;
the report is printed to PDF and read back; the dashboard is measured on a 1366 px office screen and a 390 px
phone (scripts on only in the measuring contexts)."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from app import cli
from app.run import run_console
from bot.engine.core import Core
from bot.engine.guard import FloodGuard
from bot.engine.router import Router
from bot.engine.services import Services, open_services
from bot.kernel.clock import FixedClock, vn_moment
from bot.kernel.config import Config
from handlers.routes import ROUTES
from tests.test_plan_cli import check_printed, needs_pdf_tools, pdf_pages
from tests.test_web_browser import SHOTS, _browser_or_skip, _goto, _not_blank, office_page, sign_in
from tests.webkit import add_accounts, serve_console

pytestmark = pytest.mark.browser
TODAY = dt.date(2026, 8, 1)
# Every text of the dashboard's charts: its rendered font size, its box, and the box of its chart.
CHART_TEXTS = """() => [...document.querySelectorAll('svg.chart')].map(svg => {
  const frame = svg.getBoundingClientRect();
  return {frame: [frame.left, frame.top, frame.right, frame.bottom],
          texts: [...svg.querySelectorAll('text')].map(t => {
            const box = t.getBoundingClientRect();
            return {text: t.textContent, size: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a,
                    box: [box.left, box.top, box.right, box.bottom]};
          })};
})"""
TASK_CELLS = """() => [...document.querySelectorAll('table.tasks td.task-text')].map(td => (
  {text: td.textContent, clipped: td.scrollWidth > td.clientWidth + 1 || td.scrollHeight > td.clientHeight + 1,
   overflow: getComputedStyle(td).textOverflow}))"""
SURVEY = ("/danhgia", "1", "2", "5", "4", "4", "5")  # civil status, at the provincial centre, then four scores
FEEDBACK = ("/phananh", "Thủ tục đăng ký khai sinh ở xã Hua La", "Cán bộ bắt nộp bản sao giấy tờ đã có trong dữ liệu",
            "Bỏ yêu cầu nộp bản sao", "Lò Thị Mai", "0912345678, bản Hua La", "1")
QUESTIONS = ("1/5. Phản ánh về thủ tục hoặc quy định nào", "2/5. Nội dung phản ánh", "3/5. Bạn kiến nghị sửa thế nào",
             "4/5. Họ và tên của bạn", "5/5. Địa chỉ hoặc số điện thoại liên hệ của bạn")


@pytest.fixture
async def services(config: Config) -> AsyncIterator[Services]:
    """The services on one clock at TODAY: the plan's day, the survey's month and the dashboard's half-year."""
    s = await open_services(config, clock=FixedClock(vn_moment(TODAY)))
    yield s
    await s.close()


def _overlaps(a: list[float], b: list[float]) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 0.5 and min(a[3], b[3]) - max(a[1], b[1]) > 0.5


def _legible(chart: dict[str, Any]) -> None:
    """On a phone: every text of the chart at least 12 px, none over another, all inside the chart."""
    texts = chart["texts"]
    assert texts and min(t["size"] for t in texts) >= 12, [(t["text"], t["size"]) for t in texts]
    assert [(a["text"], b["text"]) for i, a in enumerate(texts) for b in texts[i + 1:]
            if _overlaps(a["box"], b["box"])] == []
    assert all(chart["frame"][0] - 0.5 <= t["box"][0] and t["box"][2] <= chart["frame"][2] + 0.5 for t in texts)


async def _measure(browser: Any, state: Any, url: str, width: int) -> tuple[list[dict[str, Any]], list[Any], int]:
    context = await browser.new_context(viewport={"width": width, "height": 900}, storage_state=state)
    page = await context.new_page()
    await page.goto(url)
    charts, cells = await page.evaluate(CHART_TEXTS), await page.evaluate(TASK_CELLS)
    scroll = int(await page.evaluate("document.documentElement.scrollWidth"))
    await context.close()
    return charts, cells, scroll


async def _console(services: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                   *lines: str) -> str:
    """What the citizen sees in `papibot chat --user 61` (the console channel over these services) when typing
    `lines` into piped input; messages owed to them are shown first."""
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
    router = Router(services, ROUTES, FloodGuard(services.config.rate_limit_per_minute, clock=services.clock))
    assert await run_console(services, Core(services, router), "citizen", "61", "Lò Thị Mai") == 0
    return capsys.readouterr().out


async def _survey_stats(config: Config, monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """`papibot survey stats --json` on the test's database."""
    monkeypatch.setenv("PAPIBOT_DATA_DIR", str(config.data_dir))
    monkeypatch.setenv("PAPIBOT_DB", str(config.db_path))
    monkeypatch.setenv("PAPIBOT_KNOWLEDGE", str(config.knowledge_dir))
    monkeypatch.delenv("PAPIBOT_CONFIG", raising=False)
    capsys.readouterr()
    assert await asyncio.to_thread(cli.main, ["survey", "stats", "--json"]) == 0  # its own event loop
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


async def _seed_earlier_months(services: Services) -> None:
    """Answers of five earlier months (3, 7, 11, 15, 19), so that the chart has more months than it shows."""
    for i in range(5):
        for j in range(3 + 4 * i):
            await services.storage.survey.save_answers(f"m{i}x{j:08d}", f"2026-0{i + 1}", "v",
                                                       {"tiep-can": str(1 + j % 5), "ket-qua": "4"}, 2)


async def test_a_leader_and_a_citizen_walk_the_plan_the_survey_the_feedback_and_the_report(
        services, config, tmp_path, monkeypatch, capsys) -> None:
    _browser_or_skip()
    needs_pdf_tools()
    from playwright.async_api import async_playwright

    await add_accounts(services)
    await _seed_earlier_months(services)
    stop, server, base = await serve_console(services)
    shots: dict[str, bytes] = {}
    try:
        async with async_playwright() as pw:
            violations: list[str] = []
            browser, context, page = await office_page(pw, violations)
            await _goto(page, f"{base}/plan")
            await sign_in(page, "minh")
            await _goto(page, f"{base}/plan")
            # 1. A new period with the 2021 plan's tasks copied into it
            await page.get_by_label("Tên kỳ").fill("6 tháng cuối năm 2026")
            source = page.get_by_label("Sao chép nhiệm vụ từ kỳ")
            await source.select_option(label="6 tháng cuối năm 2021 (31 nhiệm vụ)")
            await page.get_by_role("button", name="Tạo kỳ").click()
            await page.wait_for_url(f"{base}/dashboard?period=*")
            content = await page.content()
            assert "Đã tạo kỳ «6 tháng cuối năm 2026»" in content and "sao chép 31 nhiệm vụ" in content
            assert "Tình trạng tính đến ngày <strong>01/08/2026</strong>" in content
            assert await page.locator("#live-survey dd").first.inner_text() == "0 lượt"  # nobody has answered yet
            # One task edited on its page; the history says who changed what
            await page.get_by_role("link", name="8.1", exact=True).click()
            await page.get_by_label("Tình trạng").select_option(label="Hoàn thành")
            await page.get_by_label("Ghi chú").fill("Đã báo cáo kết quả 6 tháng")
            await page.get_by_label("Đường dẫn minh chứng").fill("https://sonla.gov.vn/bao-cao-8-1")
            await page.get_by_role("button", name="Lưu thay đổi").click()
            history = await page.locator("table.history").inner_text()
            assert "web:minh" in history and "Hoàn thành" in history and "https://sonla.gov.vn/bao-cao-8-1" in history
            # 2 and 3. A citizen at the console chat: the survey by numbers, then feedback in five answers
            said = await _console(services, monkeypatch, capsys, *SURVEY, *FEEDBACK)
            assert "Câu 1." in said and "tối đa 6 câu" in said and "Câu 6." in said and "Cảm ơn bạn!" in said
            assert all(question in said for question in QUESTIONS), said
            assert "Người gửi: Lò Thị Mai · 0912345678, bản Hua La" in said and "[1] Gửi phản ánh" in said
            assert "Đã nhận phản ánh PA-1" in said and "/theodoi PA-1" in said and "<b>" not in said
            # The dashboard counts the answer in this half-year; the command line counts it by month
            await page.get_by_role("link", name="← Tổng quan kế hoạch 6 tháng cuối năm 2026").click()
            survey = await page.locator("#live-survey").inner_text()
            assert survey.startswith("Khảo sát sự hài lòng của người dân"), survey
            assert await page.locator("#live-survey dd").first.inner_text() == "1 lượt"
            assert "Tiếp cận dịch vụ\n5,0/5 (1 câu trả lời, còn ít)" in survey, survey
            assert "Gửi trong tháng 08/2026\n1 phản ánh" in await page.locator("#live-feedback").inner_text()
            stats = await _survey_stats(config, monkeypatch, capsys)
            assert stats["by_month"]["2026-08"]["responses"] == 1 and stats["responses"] == 56
            assert stats["by_month"]["2026-08"]["elements"]["procedure"] == {"mean": 4.0, "n": 1}
            # 3. An officer transfers and answers it on the web register
            await page.get_by_role("button", name="Đăng xuất").click()
            await _goto(page, f"{base}/login")
            await sign_in(page, "lan")
            await page.wait_for_url(f"{base}/inbox")
            await page.get_by_role("link", name="Phản ánh").click()
            await page.wait_for_url(f"{base}/feedback")
            shots["feedback"] = await page.screenshot()
            await page.get_by_role("link", name="PA-1").click()
            await page.wait_for_url(f"{base}/feedback/1")
            assert "Lò Thị Mai" in await page.content() and "0912345678, bản Hua La" in await page.content()
            await page.get_by_label("Tình trạng mới").select_option("transferred")
            await page.get_by_label("Cơ quan nhận (khi chuyển)").fill("Sở Tư pháp")
            await page.get_by_role("button", name="Lưu tình trạng").click()
            await page.wait_for_url(f"{base}/feedback/1?*")
            assert "Sở Tư pháp" in await page.content()
            await page.get_by_label("Nội dung trả lời phản ánh").fill("Đã đề nghị bỏ yêu cầu nộp bản sao.")
            await page.get_by_role("button", name="Gửi trả lời phản ánh").click()
            await page.wait_for_url(f"{base}/feedback/1?*")
            shots["feedback-item"] = await page.screenshot(full_page=True)
            # ... and the citizen sees both on the console at their next session, then follows the item
            said = await _console(services, monkeypatch, capsys, "/theodoi PA-1")
            assert "đã được chuyển tới Sở Tư pháp" in said and "Trả lời phản ánh PA-1" in said, said
            assert said.count("Đã đề nghị bỏ yêu cầu nộp bản sao.") == 2  # delivered, then in the item followed
            await page.reload()
            assert "đã gửi" in await page.content()
            # 4. The report, opened in the browser and printed to PDF
            await page.get_by_role("link", name="Tổng quan", exact=True).click()
            await page.get_by_role("link", name="Báo cáo để in và ký").click()
            assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in await page.content()
            if os.environ.get("PAPIBOT_SCREENSHOTS"):  # the README's picture of the report
                SHOTS.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(SHOTS / "report.png"))
            pdf = tmp_path / "bao-cao.pdf"
            await page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
            pages = pdf_pages(pdf)
            check_printed(pages)
            assert "Kế hoạch 6 tháng cuối năm 2026 (01/07/2026–31/12/2026)" in pages[0]
            edited = [p for p in pages if "01/08/2026: Đã" in p and "sonla.gov.vn/bao-cao" in p]  # cells interleave
            assert len(edited) == 1 and not any("Tải PDF" in p for p in pages)  # the screen's links are not printed
            printed = " ".join(pages)  # the live figures beside the plan: the walked answer, the answered feedback
            assert "Tiếp cận dịch vụ 5,0/5 (1 câu trả lời, còn ít)" in printed and "Đã trả lời 1 phản ánh" in printed
            await page.go_back()
            shots["dashboard-voice"] = await page.locator("#live-survey").screenshot()
            state = await context.storage_state()
            await context.close()
            # The dashboard on an office screen: names whole; on a phone: chart text large enough, none overlapping
            wide, cells, _ = await _measure(browser, state, f"{base}/dashboard", 1366)
            view = await services.plan.view()
            assert view is not None
            names = {f"{a.number}. {a.name}" for a in view.areas}
            shown = {" ".join(t["text"].split()) for c in wide for t in c["texts"]}
            assert names <= shown  # every area's full name, no "…"
            for chart in wide:
                for text in chart["texts"]:
                    assert chart["frame"][0] - 0.5 <= text["box"][0] and text["box"][2] <= chart["frame"][2] + 0.5, text
            assert len(cells) == len(view.tasks) and not any(c["clipped"] or c["overflow"] == "ellipsis" for c in cells)
            assert {" ".join(c["text"].split()) for c in cells} == {" ".join(t.task.split()) for t in view.tasks}
            narrow, _, scroll = await _measure(browser, state, f"{base}/dashboard", 390)
            assert scroll <= 390
            for chart in narrow:
                _legible(chart)
            months = {t["text"] for t in narrow[-1]["texts"]}  # the survey's chart follows the plan's two
            assert "01/2026" not in months and {"02/2026", "08/2026"} <= months  # the latest five months
            await browser.close()
            assert violations == [], violations
    finally:
        stop.set()
        await server
    for name, png in shots.items():
        _not_blank(png)
        (tmp_path / f"{name}.png").write_bytes(png)
        if os.environ.get("PAPIBOT_SCREENSHOTS"):
            SHOTS.mkdir(parents=True, exist_ok=True)
            Path(SHOTS / f"{name}.png").write_bytes(png)
