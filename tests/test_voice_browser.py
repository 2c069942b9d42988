"""A feedback filed through the chat path and answered on the web register, in a real browser (JavaScript off)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.kernel.models import Reply
from tests.conftest import citizen, deliver_due, say
from tests.test_plan_browser import CHART_TEXTS, _overlaps
from tests.test_voice import fill_feedback, take
from tests.test_web_browser import SHOTS, _browser_or_skip, _goto, _not_blank, office_page, sign_in
from tests.webkit import add_accounts, serve_console

pytestmark = pytest.mark.browser


async def test_feedback_from_the_chat_is_answered_on_the_register_in_a_real_browser(services, tmp_path) -> None:
    _browser_or_skip()
    from playwright.async_api import async_playwright

    await add_accounts(services)
    person = citizen(61)
    filed = await fill_feedback(services, person)  # through the router, as the console chat sends it
    assert "PA-1" in filed.text
    await take(services, citizen(62), "1", "2", "5", "4", "4", "5")
    for i, month in enumerate(("2020-01", "2020-02", "2020-03", "2020-04", "2020-05")):  # the chart shows five
        for j in range(3 + 4 * i):
            await services.storage.survey.save_answers(f"m{i}x{j:08d}", month, "v", {"tiep-can": str(1 + j % 5),
                                                                                      "ket-qua": "4"}, 2)
    stop, server, base = await serve_console(services)
    try:
        async with async_playwright() as pw:
            violations: list[str] = []
            browser, context, page = await office_page(pw, violations)
            await _goto(page, f"{base}/login")
            await sign_in(page, "lan")
            await page.wait_for_url(f"{base}/inbox")
            await page.get_by_role("link", name="Phản ánh").click()
            await page.wait_for_url(f"{base}/feedback")
            register = await page.screenshot()
            await page.get_by_role("link", name="PA-1").click()
            await page.wait_for_url(f"{base}/feedback/1")
            assert "Lò Thị Mai" in await page.content()
            await page.get_by_label("Tình trạng mới").select_option("transferred")
            await page.get_by_label("Cơ quan nhận (khi chuyển)").fill("Sở Tư pháp")
            await page.get_by_role("button", name="Lưu tình trạng").click()
            await page.wait_for_url(f"{base}/feedback/1?*")
            assert "Sở Tư pháp" in await page.content()
            await page.get_by_label("Nội dung trả lời phản ánh").fill("Đã đề nghị bỏ yêu cầu nộp bản sao.")
            await page.get_by_role("button", name="Gửi trả lời phản ánh").click()
            await page.wait_for_url(f"{base}/feedback/1?*")
            item = await page.screenshot(full_page=True)
            received: list[str] = []

            async def send(chat_id: str, reply: Reply) -> None:
                received.append(reply.text)

            await deliver_due(services.storage, "console", send)
            await deliver_due(services.storage, "console", send)
            assert any("Đã đề nghị bỏ yêu cầu" in text for text in received)
            await page.reload()
            assert "đã gửi" in await page.content()
            await _goto(page, f"{base}/dashboard")
            assert "Khảo sát sự hài lòng của người dân" in await page.content()
            dashboard = await page.locator("#live-survey").screenshot()
            state = await context.storage_state()
            phone = await browser.new_context(viewport={"width": 390, "height": 900}, storage_state=state)
            small = await phone.new_page()
            await small.goto(f"{base}/dashboard")
            charts = await small.evaluate(CHART_TEXTS)
            assert int(await small.evaluate("document.documentElement.scrollWidth")) <= 390
            survey = charts[-1]  # the live sections follow the plan's two charts
            texts = survey["texts"]
            assert "01/2020" not in {t["text"] for t in texts} and "02/2020" in {t["text"] for t in texts}
            assert min(t["size"] for t in texts) >= 12, [(t["text"], t["size"]) for t in texts]
            assert [(a["text"], b["text"]) for i, a in enumerate(texts) for b in texts[i + 1:]
                    if _overlaps(a["box"], b["box"])] == []
            assert all(survey["frame"][0] - 0.5 <= t["box"][0] and t["box"][2] <= survey["frame"][2] + 0.5
                       for t in texts)
            await browser.close()
            assert violations == [], violations
    finally:
        stop.set()
        await server
    followed = await say(services, person, "/theodoi PA-1")
    assert "Đã đề nghị bỏ yêu cầu" in followed.text
    shots = {"feedback": register, "feedback-item": item, "dashboard-voice": dashboard}
    for name, png in shots.items():
        _not_blank(png)
        (tmp_path / f"{name}.png").write_bytes(png)
        if os.environ.get("PAPIBOT_SCREENSHOTS"):
            SHOTS.mkdir(parents=True, exist_ok=True)
            Path(SHOTS / f"{name}.png").write_bytes(png)
