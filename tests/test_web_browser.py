"""The web console in a real browser (Debian's Chromium through Playwright), with JavaScript turned off.

Required when CI is set; skipped with a clear message on a machine without Chromium or Playwright.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.kernel.models import Reply
from tests.conftest import citizen, deliver_due
from tests.webkit import PASSWORD, add_accounts, colour_stats, serve_console

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
QUESTION = "cấp phép bay flycam quay phim đám cưới"
pytestmark = pytest.mark.browser
REPORT_VIOLATIONS = ("document.addEventListener('securitypolicyviolation', e => "
                     "console.error('CSP ' + e.violatedDirective + ' ' + e.blockedURI))")
WIDE_ELEMENTS = ("[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)"
                 ".slice(0, 5).map(e => e.outerHTML.slice(0, 80))")


def _browser_or_skip() -> None:
    """Fail in CI when the browser is missing; skip elsewhere, saying what to install."""
    missing = []
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        missing.append("the Playwright package (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        missing.append("Chromium (apt-get install -y chromium)")
    if missing:
        message = "browser tests need " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _watch_policy(page: Any, violations: list[str]) -> None:
    """Collect what breaks the Content-Security-Policy on `page`: Chromium reports it as a console error (also
    with JavaScript off); with it on, a `securitypolicyviolation` listener reports it there too."""
    def seen(message: Any) -> None:
        if message.type == "error" and ("Content Security Policy" in message.text or message.text.startswith("CSP ")):
            violations.append(f"{page.url}: {message.text}")

    page.on("console", seen)


async def office_page(pw: Any, violations: list[str]) -> tuple[Any, Any, Any]:
    """Debian's Chromium with an office screen (1366×768), JavaScript off, policy violations collected:
    (browser, context, page)."""
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=args)
    context = await browser.new_context(viewport={"width": 1366, "height": 768}, java_script_enabled=False,
                                        locale="vi-VN")
    page = await context.new_page()
    _watch_policy(page, violations)
    return browser, context, page


async def _goto(page: Any, url: str) -> None:
    """Open `url` and check it carries the console's policy: no inline script or style, no framing."""
    response = await page.goto(url)
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, (url, policy)
    assert response.headers.get("x-content-type-options") == "nosniff"


async def sign_in(page: Any, login: str) -> None:
    """Fill and send the console's login form on the page shown (as an officer types it)."""
    await page.get_by_label("Tên đăng nhập").fill(login)
    await page.get_by_label("Mật khẩu").fill(PASSWORD)
    await page.get_by_role("button", name="Đăng nhập").click()


def _not_blank(png: bytes) -> None:
    colours, dark = colour_stats(png)
    assert colours > 50 and dark > 0.01, f"blank screenshot? {colours} colours, {dark:.1%} non-white"


async def test_officer_answers_and_teaches_in_a_real_browser(services, tmp_path) -> None:
    _browser_or_skip()
    from playwright.async_api import async_playwright

    await add_accounts(services)
    ticket = (await services.citizen.ask(citizen(), QUESTION)).diagnosis.ticket_id
    await services.citizen.ask(citizen(44), "xin phép bay flycam ở đám cưới được không")
    await services.citizen.ask(citizen(45), "xin giấy xác nhận tình trạng hôn nhân")
    await services.citizen.ask(citizen(45), "ở tỉnh khác thì xin ở đâu")  # from the context: in doubt
    stop, server, base = await serve_console(services)
    shots: dict[str, bytes] = {}
    try:
        async with async_playwright() as pw:
            violations: list[str] = []
            browser, context, page = await office_page(pw, violations)
            await _goto(page, f"{base}/inbox")
            assert page.url.endswith("/login")
            await sign_in(page, "lan")
            await page.wait_for_url(f"{base}/inbox")
            assert QUESTION in await page.content()
            shots["inbox"] = await page.screenshot()
            # Answer, with a preview first
            await page.get_by_role("link", name=f"#{ticket}").click()
            await page.get_by_label("Nội dung trả lời").fill("Bạn liên hệ Sở Văn hóa, Thể thao và Du lịch để xin phép.")
            await page.get_by_role("button", name="Xem trước").click()
            assert "Công dân sẽ thấy" in await page.content()
            shots["ticket"] = await page.screenshot(full_page=True)
            await page.get_by_role("button", name="Gửi trả lời").click()
            await page.wait_for_url(f"{base}/inbox/{ticket}?*")
            received: list[str] = []

            async def send(chat_id: str, reply: Reply) -> None:
                received.append(reply.text)

            assert await deliver_due(services.storage, "console", send) == 1
            assert "Sở Văn hóa" in received[0]
            await page.reload()
            assert "đã gửi" in await page.content()
            # Add it to the knowledge, then a citizen asking the same is answered at once
            await page.get_by_role("link", name="Đưa vào cơ sở tri thức").click()
            await page.get_by_label("Tiêu đề (cho chủ đề mới)").fill("Xin phép bay flycam")
            await page.get_by_role("button", name="Kiểm tra").click()
            assert "Sau khi thêm" in await page.content()
            await page.get_by_role("button", name="Xác nhận lưu").click()
            await page.wait_for_url(f"{base}/knowledge?*")
            reply = await services.citizen.ask(citizen(51), QUESTION)
            assert reply.diagnosis.decision == "answer" and "Sở Văn hóa" in reply.text
            # The other pages; the doubtful answer is marked right from its card
            for name in ("misunderstood", "knowledge", "dashboard"):
                await _goto(page, f"{base}/{name}")
                shots[name] = await page.screenshot()
                if name == "misunderstood":
                    assert "ở tỉnh khác thì xin ở đâu" in await page.content()
                    await page.get_by_role("button", name="Trả lời đúng").click()
                    assert "cán bộ đã xác nhận đúng: 1" in await page.content()
                if name == "knowledge":  # a topic as the bot says it, part by part, with its sources
                    await page.get_by_role("link", name="Đăng ký tạm trú").click()
                    await page.wait_for_url(f"{base}/knowledge/topic/dang-ky-tam-tru")
                    assert "Căn cứ của phần này: Thông tư 75/2022/TT-BTC" in await page.content()
                    shots["knowledge-topic"] = await page.screenshot()
            assert await page.locator("svg.chart").count() == 3  # areas, the queue by week, the survey by month
            # A phone-sized screen (scripts on only to measure): the page itself never scrolls sideways
            phone = await browser.new_context(viewport={"width": 390, "height": 844},
                                              storage_state=await context.storage_state())
            await phone.add_init_script(REPORT_VIOLATIONS)
            small = await phone.new_page()
            _watch_policy(small, violations)
            for name in (f"inbox/{ticket}", "learn", "canned", "inbox/99999999999999999999"):  # policy only
                await _goto(small, f"{base}/{name}")
            for name in ("inbox", "dashboard"):
                await _goto(small, f"{base}/{name}")
                wide = await small.evaluate(WIDE_ELEMENTS)
                assert await small.evaluate("document.documentElement.scrollWidth") <= 390, (name, wide)
            shots["dashboard-phone"] = await small.screenshot()
            await browser.close()
            assert violations == [], violations  # every page keeps to the policy
    finally:
        stop.set()
        await server
    for name, png in shots.items():
        _not_blank(png)
        (tmp_path / f"{name}.png").write_bytes(png)
    if os.environ.get("PAPIBOT_SCREENSHOTS"):  # refresh the README's pictures
        SHOTS.mkdir(parents=True, exist_ok=True)
        for name in shots:
            shutil.copy(tmp_path / f"{name}.png", SHOTS / f"{name}.png")
