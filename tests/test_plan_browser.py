"""A leader's plan in a real browser (Debian's Chromium through Playwright, JavaScript off for the officer): a period
made by copying tasks, one task edited, the report printed to PDF and read back; the dashboard measured on a
1366 px office screen and a 390 px phone (scripts on only in the measuring contexts)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.engine.services import Services, open_services
from bot.kernel.config import Config
from tests.test_plan_cli import check_printed, needs_pdf_tools, pdf_pages
from tests.test_web_browser import SHOTS, _browser_or_skip, _goto, office_page, sign_in
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


@pytest.fixture
async def services(config: Config) -> AsyncIterator[Services]:
    s = await open_services(config, today=lambda: TODAY)
    yield s
    await s.close()


def _overlaps(a: list[float], b: list[float]) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 0.5 and min(a[3], b[3]) - max(a[1], b[1]) > 0.5


async def _measure(browser: Any, state: Any, url: str, width: int) -> tuple[list[dict[str, Any]], list[Any], int]:
    context = await browser.new_context(viewport={"width": width, "height": 900}, storage_state=state)
    page = await context.new_page()
    await page.goto(url)
    charts, cells = await page.evaluate(CHART_TEXTS), await page.evaluate(TASK_CELLS)
    scroll = int(await page.evaluate("document.documentElement.scrollWidth"))
    await context.close()
    return charts, cells, scroll


async def test_a_period_copied_edited_and_printed_then_the_dashboard_measured(services, tmp_path) -> None:
    _browser_or_skip()
    needs_pdf_tools()
    from playwright.async_api import async_playwright

    await add_accounts(services)
    stop, server, base = await serve_console(services)
    try:
        async with async_playwright() as pw:
            violations: list[str] = []
            browser, context, page = await office_page(pw, violations)
            await _goto(page, f"{base}/plan")
            await sign_in(page, "minh")
            await _goto(page, f"{base}/plan")
            # A new period with the 2021 plan's tasks copied into it
            await page.get_by_label("Tên kỳ").fill("6 tháng cuối năm 2026")
            source = page.get_by_label("Sao chép nhiệm vụ từ kỳ")
            await source.select_option(label="6 tháng cuối năm 2021 (31 nhiệm vụ)")
            await page.get_by_role("button", name="Tạo kỳ").click()
            await page.wait_for_url(f"{base}/dashboard?period=*")
            content = await page.content()
            assert "Đã tạo kỳ «6 tháng cuối năm 2026»" in content and "sao chép 31 nhiệm vụ" in content
            assert "Tình trạng tính đến ngày <strong>01/08/2026</strong>" in content
            # One task edited on its page; the history says who changed what
            await page.get_by_role("link", name="8.1", exact=True).click()
            await page.get_by_label("Tình trạng").select_option(label="Hoàn thành")
            await page.get_by_label("Ghi chú").fill("Đã báo cáo kết quả 6 tháng")
            await page.get_by_label("Đường dẫn minh chứng").fill("https://sonla.gov.vn/bao-cao-8-1")
            await page.get_by_role("button", name="Lưu thay đổi").click()
            history = await page.locator("table.history").inner_text()
            assert "web:minh" in history and "Hoàn thành" in history and "https://sonla.gov.vn/bao-cao-8-1" in history
            # The report, opened in the browser and printed to PDF
            await page.get_by_role("link", name="← Tổng quan kế hoạch 6 tháng cuối năm 2026").click()
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
                texts = chart["texts"]
                assert texts and min(t["size"] for t in texts) >= 12, [(t["text"], t["size"]) for t in texts]
                clashes = [(a["text"], b["text"]) for i, a in enumerate(texts) for b in texts[i + 1:]
                           if _overlaps(a["box"], b["box"])]
                assert clashes == []
                assert all(chart["frame"][0] - 0.5 <= t["box"][0] and t["box"][2] <= chart["frame"][2] + 0.5
                           for t in texts)
            await browser.close()
            assert violations == [], violations
    finally:
        stop.set()
        await server
