"""The open inbox in a real browser (Debian's Chromium through Playwright) with JavaScript on: a citizen's new
question shows within 30 s without a reload, the count in the tab title, and nothing being typed is touched; with
JavaScript off a reload shows the same. Required when CI is set; skipped elsewhere without Chromium."""

from __future__ import annotations

import asyncio
import os
import re

import pytest

from channels.http import serve_http
from channels.web import build_web_app
from tests.conftest import citizen
from tests.procs import free_port
from tests.test_web_browser import (
    CHROMIUM,
    QUESTION,
    REPORT_VIOLATIONS,
    _browser_or_skip,
    _goto,
    _watch_policy,
    sign_in,
)
from tests.webkit import add_accounts

pytestmark = pytest.mark.browser
NEW = "thủ tục nhận con nuôi"
WAIT = 30_000  # ms: the inbox shows a new ticket within 30 s


async def test_the_open_inbox_shows_a_new_question_without_a_reload(services) -> None:
    _browser_or_skip()
    from playwright.async_api import async_playwright, expect

    await add_accounts(services)
    await services.citizen.ask(citizen(), QUESTION)
    stop, port = asyncio.Event(), free_port()
    started = asyncio.Event()
    server = asyncio.create_task(serve_http(build_web_app(services, 0.0), "127.0.0.1", port, stop, started.set))
    base = f"http://127.0.0.1:{port}"
    try:
        await asyncio.wait_for(started.wait(), 10)
        async with async_playwright() as pw:
            args = ["--no-sandbox"] if os.geteuid() == 0 else []
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=args)
            context = await browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
            await context.add_init_script(REPORT_VIOLATIONS)
            page = await context.new_page()
            violations: list[str] = []
            _watch_policy(page, violations)
            await _goto(page, f"{base}/login")
            await sign_in(page, "lan")
            await page.wait_for_url(f"{base}/inbox")
            assert (await page.title()).startswith("(1) Hộp thư")
            await page.evaluate("window.loadedOnce = 'this page'")  # gone if the page were reloaded
            search = page.get_by_label("Tìm", exact=True)
            await search.fill("đang gõ dở")  # an officer is typing in a form
            await services.citizen.ask(citizen(46), NEW)
            await expect(page).to_have_title(re.compile(r"^\(2\) Hộp thư"), timeout=WAIT)
            assert await search.input_value() == "đang gõ dở"
            assert await page.evaluate("window.loadedOnce") == "this page"
            # The list itself changes once no field has the focus; still no reload, nothing typed lost
            await page.get_by_role("heading", name="Hộp thư câu hỏi của công dân").click()
            await expect(page.locator("#inbox-list")).to_contain_text(NEW, timeout=WAIT)
            assert "2 câu hỏi" in await page.locator("#inbox-count").inner_text()
            assert await search.input_value() == "đang gõ dở"
            assert await page.evaluate("window.loadedOnce") == "this page"
            # JavaScript off: reloading the page shows the same
            plain = await browser.new_context(java_script_enabled=False, storage_state=await context.storage_state())
            still = await plain.new_page()
            _watch_policy(still, violations)
            await _goto(still, f"{base}/inbox")
            assert (await still.title()).startswith("(2) Hộp thư") and NEW in await still.content()
            await browser.close()
            assert violations == [], violations
    finally:
        stop.set()
        await server
