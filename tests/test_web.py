"""The officers' web console in-process: sign-in, CSRF, roles, and every inbox action end to end."""

from __future__ import annotations

import pytest

from bot.models import Reply
from tests.conftest import citizen, deliver_due, say
from tests.webkit import PASSWORD, add_accounts, client, csrf, login

UNKNOWN = "cấp phép bay flycam quay phim đám cưới"
PAGES = ("/inbox", "/inbox/1", "/canned", "/learn", "/misunderstood", "/knowledge", "/dashboard", "/report.html")


@pytest.fixture
async def web(services):
    await add_accounts(services)
    async with client(services) as c:
        yield c


async def signed_in(web, who: str = "lan"):
    response = await login(web, who)
    assert response.status_code == 303
    return web


async def test_every_page_needs_sign_in(web) -> None:
    for path in PAGES:
        response = await web.get(path)
        assert response.status_code == 303 and response.headers["location"] == "/login", path
    assert (await web.post("/inbox/1/answer", data={"answer": "x"})).status_code == 303


async def test_login_cookie_and_logout(web) -> None:
    response = await login(web, "lan")
    cookie = response.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower() and "secure" not in cookie.lower()
    assert response.headers["location"] == "/"
    assert (await web.get("/")).headers["location"] == "/inbox"
    page = await web.get("/inbox")
    assert page.status_code == 200 and "Hộp thư câu hỏi của công dân" in page.text
    await web.post("/logout", data={"csrf": csrf(page.text)})
    assert (await web.get("/inbox")).status_code == 303


async def test_login_without_its_token_is_refused(web) -> None:
    response = await web.post("/login", data={"username": "lan", "password": PASSWORD, "csrf": "forged"})
    assert response.status_code == 403


async def test_failed_logins_lock_only_that_login_and_address(services, web) -> None:
    for _ in range(5):
        assert (await login(web, "lan", "sai-mat-khau")).status_code == 401
    locked = await login(web, "lan")
    assert locked.status_code == 401 and "tạm khóa" in locked.text
    async with client(services, "10.0.0.9") as elsewhere:
        assert (await login(elsewhere, "lan")).status_code == 303  # nobody locks an officer out from afar
    assert (await login(web, "minh")).status_code == 303


async def test_post_without_csrf_is_refused(services, web) -> None:
    await signed_in(web)
    ticket = (await services.citizen.ask(citizen(), UNKNOWN)).ticket_id
    response = await web.post(f"/inbox/{ticket}/answer", data={"answer": "Trả lời", "action": "send"})
    assert response.status_code == 403
    assert (await services.storage.ticket(ticket)).status == "pending"


async def test_oversized_forms_are_refused(web) -> None:
    await signed_in(web)
    page = await web.get("/canned")
    big = {"title": "x", "body": "y" * 300_000, "action": "save", "csrf": csrf(page.text)}
    assert (await web.post("/canned", data=big)).status_code == 413


async def test_staff_cannot_use_admin_pages(web) -> None:
    await signed_in(web, "minh")
    assert (await web.get("/")).headers["location"] == "/dashboard"
    for path in ("/inbox", "/canned", "/knowledge", "/misunderstood", "/learn"):
        assert (await web.get(path)).status_code == 403, path
    assert (await web.get("/dashboard")).status_code == 200


async def test_answer_from_the_inbox_reaches_the_citizen(services, web) -> None:
    await say(services, citizen(), "làm căn cước công dân ở đâu")
    ticket = (await services.citizen.ask(citizen(), UNKNOWN)).ticket_id
    await signed_in(web)
    inbox = await web.get("/inbox")
    assert UNKNOWN in inbox.text and "console" in inbox.text and "Trước đó: «làm căn cước công dân ở đâu»" in inbox.text
    page = await web.get(f"/inbox/{ticket}")
    assert "làm căn cước công dân ở đâu" in page.text  # the conversation before the question
    token = csrf(page.text)
    preview = await web.post(f"/inbox/{ticket}/answer", data={"answer": "Liên hệ **Sở GTVT**.", "action": "preview",
                                                               "csrf": token})
    assert "Công dân sẽ thấy" in preview.text and f"Trả lời câu hỏi #{ticket}" in preview.text
    assert "&lt;b&gt;" not in preview.text  # the console shows plain text, not markup
    sent = await web.post(f"/inbox/{ticket}/answer", data={"answer": "Liên hệ Sở Giao thông vận tải.",
                                                            "action": "send", "csrf": token})
    assert sent.status_code == 303
    received: list[str] = []

    async def send(chat_id: str, reply: Reply) -> None:
        received.append(reply.text)

    assert await deliver_due(services.storage, "console", send) == 1
    assert "Sở Giao thông vận tải" in received[0] and UNKNOWN in received[0]
    page = await web.get(f"/inbox/{ticket}")
    assert "đã gửi" in page.text and "Đính chính câu trả lời" in page.text
    fix = await web.post(f"/inbox/{ticket}/answer", data={"answer": "Liên hệ Sở Xây dựng.", "action": "send",
                                                           "csrf": token})
    assert fix.status_code == 303 and "%C4%90%C3%A3+g%E1%BB%ADi+%C4%91%C3%ADnh+ch%C3%ADnh" in fix.headers["location"]
    await deliver_due(services.storage, "console", send)
    assert f"Đính chính câu trả lời câu hỏi #{ticket}" in received[1] and "Liên hệ Sở Xây dựng." in received[1]
    kinds = [d["kind"] for d in await services.storage.ticket_deliveries(ticket)]
    assert kinds == ["answer", "correction:1"]
    actions = [a["action"] for a in await services.storage.audit_log()]
    assert "answer" in actions and "correct" in actions
    assert (await services.storage.audit_log())[0]["admin_id"] == "web:lan"


async def test_officers_chat_hears_of_answers_and_closures(config, tmp_path) -> None:
    from bot.config import load_config
    from bot.services import open_services

    services = await open_services(load_config(env={}, db_path=tmp_path / "o.db", knowledge_dir=config.knowledge_dir,
                                               admin_chat_id="telegram:-1001"))
    try:
        await add_accounts(services)
        first = (await services.citizen.ask(citizen(), UNKNOWN)).ticket_id
        second = (await services.citizen.ask(citizen(43), UNKNOWN + " ở sân vận động")).ticket_id
        assert second is not None
        async with client(services) as web:
            await signed_in(web)
            token = csrf((await web.get(f"/inbox/{first}")).text)
            await web.post(f"/inbox/{first}/answer", data={"answer": "Có.", "action": "send", "csrf": token})
            await web.post(f"/inbox/{second}/close", data={"reason": "trùng lặp", "csrf": token})
        notes = [d for t in (first, second) for d in await services.storage.ticket_deliveries(t)
                 if d["lane"] == "officer" and d["kind"].startswith("web_")]
        assert [n["kind"] for n in notes] == ["web_answer", "web_close"]
        assert all(n["channel"] == "telegram" for n in notes)
    finally:
        await services.close()


async def test_close_assign_and_canned_replies(services, web) -> None:
    ticket = (await services.citizen.ask(citizen(), UNKNOWN)).ticket_id
    await signed_in(web)
    token = csrf((await web.get("/canned")).text)
    await web.post("/canned", data={"title": "Chuyển UBND xã", "body": "Bạn liên hệ UBND cấp xã.", "action": "save",
                                    "csrf": token})
    canned_id = (await services.storage.canned_replies())[0].id
    page = await web.post(f"/inbox/{ticket}/answer", data={"answer": "Chào bạn.", "canned": str(canned_id),
                                                            "action": "insert", "csrf": token})
    assert "Chào bạn.\n\nBạn liên hệ UBND cấp xã." in page.text
    await web.post(f"/inbox/{ticket}/assign", data={"officer": "lan", "csrf": token})
    assert await services.storage.assigned_to(ticket) == "web:lan"
    mine = await web.get("/inbox", params={"mine": "1"})
    assert UNKNOWN in mine.text
    await web.post(f"/inbox/{ticket}/close", data={"reason": "spam", "csrf": token})
    assert (await services.storage.ticket(ticket)).status == "closed"
    assert UNKNOWN not in (await web.get("/inbox")).text
    assert UNKNOWN in (await web.get("/inbox", params={"status": "closed", "q": "flycam"})).text


async def test_add_to_knowledge_checks_personal_data_and_paraphrases(services, web) -> None:
    ticket = (await services.citizen.ask(citizen(), UNKNOWN)).ticket_id
    await services.admin.answer(await _admin(), str(ticket), "Liên hệ Sở Văn hóa, Thể thao và Du lịch để xin phép.")
    await signed_in(web)
    page = await web.get("/learn", params={"ticket": str(ticket)})
    token = csrf(page.text)
    form = {"ticket": str(ticket), "topic": "", "title": "Xin phép bay flycam", "csrf": token,
            "answer": "Liên hệ Sở Văn hóa, Thể thao và Du lịch để xin phép."}
    dirty = await web.post("/learn", data={**form, "questions": "Tôi là Nguyễn Văn An, 0912345678, xin phép bay flycam",
                                           "action": "save"})
    assert "thông tin cá nhân" in dirty.text and "0912345678" in dirty.text
    assert services.brain.kb.topic(f"hoi-dap-{ticket}") is None
    checked = await web.post("/learn", data={**form, "questions": UNKNOWN, "action": "check"})
    assert "Sau khi thêm" in checked.text and "✓" in checked.text and "Xác nhận lưu" in checked.text
    saved = await web.post("/learn", data={**form, "questions": UNKNOWN, "action": "save"})
    assert saved.status_code == 303 and services.brain.kb.topic(f"hoi-dap-{ticket}") is not None
    reply = await services.citizen.ask(citizen(50), UNKNOWN)
    assert reply.decision == "answer" and "Sở Văn hóa" in reply.text
    knowledge = await web.get("/knowledge")
    assert "Xin phép bay flycam" in knowledge.text
    await web.post("/learn/remove", data={"topic": f"hoi-dap-{ticket}", "csrf": token})
    assert services.brain.kb.topic(f"hoi-dap-{ticket}") is None


async def _admin():
    from tests.conftest import admin

    return admin()


async def test_misunderstood_questions_are_clustered(services, web) -> None:
    for i, text in enumerate(("xin phép bay flycam đám cưới", "xin phép bay flycam ở đám cưới", "nuôi ong mật")):
        await services.citizen.ask(citizen(60 + i), text)
    await signed_in(web)
    page = await web.get("/misunderstood")
    assert "3 câu hỏi" in page.text and "gộp thành 2 nhóm" in page.text and "2 lần" in page.text
    assert "/learn?q=" in page.text


async def test_knowledge_page_and_reload(services, web) -> None:
    await signed_in(web)
    page = await web.get("/knowledge")
    assert "Chủ đề (" in page.text and "Không có lỗi." in page.text
    (services.brain.directory / "topics" / "broken.yaml").write_text("topics: [", encoding="utf-8")
    done = await web.post("/knowledge/reload", data={"csrf": csrf(page.text)}, follow_redirects=True)
    assert "vẫn dùng bản cũ" in done.text and "broken.yaml" in done.text
    assert services.brain.kb.topics


async def test_dashboard_charts_tasks_and_report(services, web) -> None:
    await signed_in(web, "minh")
    page = await web.get("/dashboard")
    assert page.status_code == 200 and page.text.count("<svg") == 2 and "<script" not in page.text
    assert "chưa có" in page.text  # no rating yet: no helpful rate is claimed
    token = csrf(page.text)
    await web.post("/dashboard/task", data={"task": "5.6", "status": "ongoing", "note": "Đã trả lời 12 phản ánh",
                                            "csrf": token})
    await web.post("/dashboard/task", data={"task": "5.6", "status": "done", "note": "", "csrf": token})
    override = (await services.storage.task_overrides())["5.6"]
    assert override.status == "done" and override.note == "Đã trả lời 12 phản ánh"
    assert override.changed_by == "web:minh"
    overdue = await web.get("/dashboard", params={"overdue": "1"})
    assert overdue.status_code == 200
    report = await web.get("/report.html")
    assert "attachment" in report.headers["content-disposition"]
    assert "size: A4 landscape" in report.text and "table-header-group" in report.text


async def test_capnhat_keeps_the_note_when_only_the_status_changes(services) -> None:
    from bot.models import STAFF, User

    officer = User("console", "9", "9", "Cán bộ", STAFF)
    await services.staff.set_status(officer, "5.6 đang làm Đã gửi công văn")
    await services.staff.set_status(officer, "5.6 xong")
    assert (await services.storage.task_overrides())["5.6"].note == "Đã gửi công văn"


def test_user_commands(tmp_path, monkeypatch, capsys) -> None:
    import io

    from bot.cli import main

    monkeypatch.setenv("PAPIBOT_DB", str(tmp_path / "u.db"))
    monkeypatch.setattr("sys.stdin", io.StringIO("mot-mat-khau-dai\n"))
    assert main(["user", "add", "lan", "--role", "admin", "--name", "Nguyễn Thị Lan", "--link", "telegram:77"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("ngan\n"))
    assert main(["user", "passwd", "lan"]) == 2
    assert main(["user", "disable", "lan"]) == 0
    assert main(["user", "list"]) == 0
    out = capsys.readouterr().out
    assert "lan\tadmin\tNguyễn Thị Lan\ttelegram:77\tđã khóa" in out


async def test_thumbs_down_answers_count_as_misunderstood(services, web) -> None:
    reply = await services.citizen.ask(citizen(70), "làm căn cước công dân ở đâu")
    assert reply.decision == "answer"
    assert await services.storage.misunderstood_questions() == []  # answered and not rated: understood
    row = await services.storage._one("SELECT id FROM questions WHERE user_id = '70'")
    await services.storage.rate(int(row[0]), False)
    await signed_in(web)
    page = await web.get("/misunderstood")
    assert "làm căn cước công dân ở đâu" in page.text and "1 đánh giá không hữu ích" in page.text
