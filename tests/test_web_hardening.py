"""The console's answers to what a probe tries: security headers on every response (errors and static files
included) and ids too large for any database row. That no page breaks the policy is shown in a real browser
(tests/test_web_browser.py)."""

from __future__ import annotations

import httpx
import pytest

from channels.web import build_web_app
from tests.conftest import citizen
from tests.webkit import add_accounts, client, csrf, login

BOTH_BACKENDS = True  # sessions and row ids on SQLite and on PostgreSQL
HUGE = (str(2**63), "99999999999999999999", "9" * 40)


def _secured(response: httpx.Response) -> None:
    policy = response.headers.get("content-security-policy", "")
    where = f"{response.request.method} {response.request.url.path}: {response.status_code}"
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "base-uri 'none'" in policy, where
    assert "unsafe-inline" not in policy, where
    assert response.headers.get("x-content-type-options") == "nosniff", where
    assert response.headers.get("referrer-policy") == "same-origin", where


async def test_every_response_carries_the_security_headers(services) -> None:
    await add_accounts(services)
    ticket = (await services.citizen.ask(citizen(), "cấp phép bay flycam quay phim đám cưới")).diagnosis.ticket_id
    async with client(services) as web:
        for path in ("/login", "/inbox", "/static/web.css", "/khong-co-trang-nay", "/healthz"):
            _secured(await web.get(path))  # signed out: a redirect, the form, a static file, a 404, health
        assert "Không có trang này." in (await web.get("/khong-co-trang-nay")).text
        wrong_method = await web.delete("/login")
        assert wrong_method.status_code == 405 and "GET" in wrong_method.headers["allow"]
        assert "không nhận thao tác" in wrong_method.text
        _secured(wrong_method)
        _secured(await web.post("/login", data={"username": "lan", "password": "x", "csrf": "forged"}))  # 403
        await login(web, "lan")
        for path in ("/inbox", f"/inbox/{ticket}", "/dashboard"):
            _secured(await web.get(path))
        for path in ("/report", "/report.html", "/report.css"):  # the print view keeps the console's policy
            _secured(await web.get(path))
        _secured(await web.post(f"/inbox/{ticket}/close", data={"csrf": "forged"}))  # 403


async def test_a_server_error_is_a_page_of_ours_with_the_headers(services, monkeypatch) -> None:
    await add_accounts(services)

    async def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    app = build_web_app(services, failure_delay=0.0)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=("10.0.0.5", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as web:
        await login(web, "lan")
        monkeypatch.setattr(services.storage.inbox, "tickets", broken)
        page = await web.get("/inbox")
        assert page.status_code == 500 and "Lỗi máy chủ" in page.text and "a bug" not in page.text
        _secured(page)


@pytest.mark.parametrize("number", HUGE)
async def test_ids_no_database_row_can_have_are_not_found(services, number: str) -> None:
    await add_accounts(services)
    async with client(services) as web:
        await login(web, "lan")
        token = csrf((await web.get("/canned")).text)
        for path in (f"/inbox/{number}", f"/learn?ticket={number}", f"/learn?doubt={number}"):
            page = await web.get(path)
            assert page.status_code == 404 and "Không có" in page.text, path
        for action in ("answer", "close", "assign"):
            posted = await web.post(f"/inbox/{number}/{action}", data={"csrf": token, "answer": "x"})
            assert posted.status_code == 404, action
        verdict = await web.post(f"/misunderstood/{number}/verdict", data={"csrf": token, "verdict": "right"})
        assert verdict.status_code == 404
        deleted = await web.post("/canned", data={"csrf": token, "action": "delete", "id": number,
                                                  "title": "Tiêu đề", "body": "Nội dung"})
        assert deleted.status_code == 303  # not an id: saved as a new canned reply, as an empty id is
        learned = await web.post("/learn", data={"csrf": token, "action": "save", "ticket": number[:12],
                                                 "questions": "xin phép bay flycam", "topic": "", "title": "",
                                                 "answer": ""})
        assert learned.status_code == 303


async def test_a_learn_link_to_a_ticket_that_is_not_there_is_not_found(services) -> None:
    await add_accounts(services)
    async with client(services) as web:
        await login(web, "lan")
        for query in ("ticket=41", "ticket=abc", "doubt=41", "ticket=%C2%B2"):
            assert (await web.get(f"/learn?{query}")).status_code == 404, query
        assert (await web.get("/learn")).status_code == 200

