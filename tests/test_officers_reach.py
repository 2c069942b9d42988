"""Officers reached on any channel: PAPIBOT_ADMIN_CHAT_ID lists destinations of every channel and e-mail addresses
(sent through a local SMTP server here); a notice one of them cannot receive goes to the others and the web inbox;
a reply to a notice answers only where the platform says what was replied to."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from bot.engine.delivery import DeliveryWorker
from bot.engine.guard import FloodGuard
from bot.engine.router import Router
from bot.engine.services import open_services
from bot.kernel.clock import FixedClock
from bot.kernel.config import Config, ConfigError, load_config
from bot.kernel.events import Event
from bot.kernel.models import Progress, Reply
from bot.store.outbox import OFFICER_LANE
from bot.usecases.accounts import IDLE
from channels.email import EmailSender
from handlers.routes import ROUTES
from tests.conftest import FuncSender, citizen, say
from tests.fakesmtp import FakeSMTP, body
from tests.fakezalo import FakeZaloOA
from tests.webkit import add_accounts, client, login
from tests.zalo_stack import OFFICER, Served, oa_config, oa_serving, post
from tests.zalo_stack import say as zalo_say

BOTH_BACKENDS = True  # the tests over the `config` fixture run on SQLite and PostgreSQL
ADDRESS = "lan@sonla.gov.vn"
SENDER = "papibot@sonla.gov.vn"
ADOPTION = "thủ tục nhận con nuôi"  # no topic answers it: it becomes a ticket
FLYCAM = "cấp phép bay flycam quay phim đám cưới"


def smtp_settings(smtp: FakeSMTP, login_as: str = "") -> dict[str, Any]:
    """Settings for the local SMTP server (no TLS: it is on this machine), with a login when given."""
    return {"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_tls": "none", "smtp_user": login_as,
            "smtp_password": "mat-khau-smtp" if login_as else "", "smtp_from": SENDER}


async def officer_notices(served: Served, count: int) -> list[dict[str, Any]]:
    """Wait until `count` officers' notices are listed as not delivered; return them."""
    for _ in range(200):
        problems = await served.stack.services.storage.notices.problems()
        if len([p for p in problems if p["status"] == "undeliverable"]) >= count:
            return problems
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} undelivered notices: {problems}")


async def test_a_new_ticket_reaches_a_zalo_officer_and_an_email_address(tmp_path: Path) -> None:
    async with FakeSMTP("papibot", "mat-khau-smtp") as smtp:
        with FakeZaloOA() as fake:
            fake.user_wrote(OFFICER)
            config = oa_config(fake, tmp_path, admin_chat_id=f"zalo_oa:{OFFICER}, email:{ADDRESS}",
                               **smtp_settings(smtp, "papibot"))
            async with oa_serving(config) as oa:
                [queued] = await zalo_say(fake, oa, "u2", ADOPTION)
                assert "#1" in queued["text"] and "thư điện tử" in queued["text"]  # the privacy notice says so
                notice = await fake.wait_for_async(lambda m: m["user_id"] == OFFICER and "Câu hỏi mới #1" in m["text"])
                assert "con nuôi" in notice["text"] and "/answer 1" in notice["text"]
                assert "[1]" not in notice["text"]  # no "Trả lời" option where a reply cannot name the ticket
                mail = await smtp.wait_for(ADDRESS, "Câu hỏi mới #1")
                assert SENDER in str(mail["From"]) and str(mail["Subject"]).startswith("[papibot] Câu hỏi mới #1")
                assert "con nuôi" in body(mail) and "trả lời thư này sẽ không tới công dân" in body(mail)
                assert "<b>" not in body(mail) and smtp.logins == ["papibot"]
                # The Zalo officer answers with /answer: the citizen gets it
                await zalo_say(fake, oa, OFFICER, "/answer 1 Bạn nộp hồ sơ tại UBND xã nơi trẻ cư trú.")
                await fake.wait_for_async(lambda m: m["user_id"] == "u2" and "UBND xã nơi trẻ" in m["text"])
                health = oa.stack.worker.senders["email"]
                assert isinstance(health, EmailSender) and health.state()["status"] == "ok"


async def test_a_notice_a_zalo_officer_cannot_receive_goes_to_the_others_and_the_inbox(tmp_path: Path) -> None:
    async with FakeSMTP() as smtp:
        with FakeZaloOA() as fake:
            fake.user_wrote(OFFICER, at=fake.now() - 8 * 86400)  # last wrote to the OA 8 days ago
            config = oa_config(fake, tmp_path, admin_chat_id=f"zalo_oa:{OFFICER}, email:{ADDRESS}",
                               **smtp_settings(smtp))
            async with oa_serving(config) as oa:
                await zalo_say(fake, oa, "u2", ADOPTION)
                told = await smtp.wait_for(ADDRESS, "Không gửi được thông báo về câu hỏi #1")
                assert f"Zalo OA {OFFICER}" in body(told) and "Zalo -230" in body(told)
                assert "hãy nhắn một tin bất kỳ cho OA" in body(told) and "công dân không tương tác" not in body(told)
                await zalo_say(fake, oa, "u3", FLYCAM)
                await smtp.wait_for(ADDRESS, "Câu hỏi mới #2")
                await officer_notices(oa, 2)
                assert len([m for m in smtp.to(ADDRESS) if "Không gửi được" in body(m)]) == 1  # once per outage
                services = oa.stack.services
                await add_accounts(services)
                async with client(services) as web:
                    await login(web, "lan")
                    page = (await web.get("/inbox")).text
                    assert "Thông báo chưa tới cán bộ" in page and f"Zalo OA {OFFICER}" in page
                    assert "Zalo -230" in page and 'href="/inbox/2">Câu hỏi mới #2' in page
                    assert (await web.get("/inbox/live")).json() == {"pending": 2, "latest": 2, "problems": 2}
                    # The officer writes to the OA: what was held reaches them, and the inbox stops listing it
                    assert await post(fake, oa, fake.text_event(OFFICER, "/queue")) == 200
                    for number in (1, 2):
                        await fake.wait_for_async(
                            lambda m, n=number: m["user_id"] == OFFICER and f"Câu hỏi mới #{n}" in m["text"])
                    for _ in range(100):
                        if (await web.get("/inbox/live")).json()["problems"] == 0:
                            break
                        await asyncio.sleep(0.05)
                    assert "Thông báo chưa tới cán bộ" not in (await web.get("/inbox")).text


async def test_an_address_the_mail_server_refuses_is_told_to_the_other_officers(config: Config) -> None:
    async with FakeSMTP() as smtp:
        smtp.refused.add("nghiviec@sonla.gov.vn")
        settings = load_config(env={}, data_dir=config.data_dir, db_path=config.db_path, db_url=config.db_url,
                               knowledge_dir=config.knowledge_dir,
                               admin_chat_id="console:1, email:nghiviec@sonla.gov.vn", **smtp_settings(smtp))
        services = await open_services(settings)
        try:
            await services.citizen.ask(citizen(), FLYCAM)
            seen: list[str] = []

            async def show(chat_id: str, reply: Reply) -> None:
                seen.append(reply.text)

            worker = DeliveryWorker(services.storage, {"console": FuncSender("console", show),
                                                       "email": EmailSender(settings)},
                                    on_notice_lost=services.officers.notice_lost)
            while await worker.run_once(OFFICER_LANE):
                pass
            assert any("Câu hỏi mới #1" in text for text in seen)
            lost = next(text for text in seen if "Không gửi được" in text)
            assert "e-mail nghiviec@sonla.gov.vn" in lost and "SMTP 550" in lost and smtp.messages == []
        finally:
            await services.close()


class Posting:
    """A sender numbering messages per chat, as Telegram does: the same id names different posts in two groups."""

    def __init__(self, first: dict[str, int]) -> None:
        self.channel = "telegram"
        self.next = dict(first)

    async def send(self, chat_id: str, reply: Reply, reply_to: str | None = None,
                   progress: Progress | None = None) -> str | None:
        """The chat's next message id."""
        self.next[chat_id] += 1
        return str(self.next[chat_id] - 1)


async def test_a_reply_to_a_notice_answers_the_ticket_it_announced_in_that_chat(config: Config) -> None:
    settings = load_config(env={}, data_dir=config.data_dir, db_path=config.db_path, db_url=config.db_url,
                           knowledge_dir=config.knowledge_dir, admin_chat_id="-100111, telegram:-100222")
    services = await open_services(settings)
    try:
        await services.citizen.ask(citizen(41, "zalo_oa"), ADOPTION)
        await services.citizen.ask(citizen(42, "zalo_oa"), FLYCAM)
        worker = DeliveryWorker(services.storage, {"telegram": Posting({"-100111": 57, "-100222": 56})})
        while await worker.run_once(OFFICER_LANE):
            pass  # ticket 1: post 57 in the first group, 56 in the second; ticket 2: 58 and 57
        router = Router(services, ROUTES, FloodGuard(0))
        reply = await router.handle(Event("telegram", "9", "-100222", text="Liên hệ Bộ Quốc phòng.", private=False,
                                          reply_to_id="57"))
        assert reply is not None and "#2" in reply.text
        assert (await services.storage.tickets.get(2)).status == "answered"  # type: ignore[union-attr]
        assert (await services.storage.tickets.get(1)).status == "pending"  # type: ignore[union-attr]
        await router.handle(Event("telegram", "9", "-100333", text="Hỏi Sở Tư pháp.", private=False, reply_to_id="58"))
        assert (await services.storage.tickets.get(1)).status == "pending"  # a group that is no officers' place
    finally:
        await services.close()


def test_officers_destinations_are_a_list_of_any_channel() -> None:
    smtp = {"PAPIBOT_SMTP_HOST": "mail.sonla.gov.vn", "PAPIBOT_SMTP_FROM": SENDER}
    config = load_config({"PAPIBOT_ADMIN_CHAT_ID": "-1001234; zalo_oa:8421, zalo_bot:abc, email:Lan@SonLa.gov.vn",
                          **smtp})
    assert config.admin_chat_id == ("telegram:-1001234", "zalo_oa:8421", "zalo_bot:abc", "email:Lan@sonla.gov.vn")
    assert config.smtp_address == ("mail.sonla.gov.vn", 587)
    assert load_config({**smtp, "PAPIBOT_SMTP_TLS": "SSL"}).smtp_address == ("mail.sonla.gov.vn", 465)
    assert load_config({"PAPIBOT_SMTP_PASSWORD": "bi-mat"}).redacted()["smtp_password"] == "***"
    for bad, why in (({"PAPIBOT_ADMIN_CHAT_ID": "lan@sonla.gov.vn", **smtp}, "email:<address>"),
                     ({"PAPIBOT_ADMIN_CHAT_ID": "email:lan@sonla.gov.vn"}, "PAPIBOT_SMTP_HOST"),
                     ({"PAPIBOT_ADMIN_CHAT_ID": "email:lan@sonla.gov.vn", "PAPIBOT_SMTP_HOST": "mail"},
                      "PAPIBOT_SMTP_FROM"),
                     ({"PAPIBOT_ADMIN_CHAT_ID": "email:lan"}, "not an e-mail address"),
                     ({"PAPIBOT_ADMIN_CHAT_ID": "web:lan"}, "web console"),
                     ({"PAPIBOT_SMTP_TLS": "tls"}, "starttls, ssl, none")):
        with pytest.raises(ConfigError, match=why):
            load_config(bad)


def test_papibot_check_warns_of_a_destination_that_is_no_officer(monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str],
                                                                  tmp_path: Path) -> None:
    for name, value in {"PAPIBOT_ADMIN_CHAT_ID": "-1001234, zalo_oa:999, email:lan@sonla.gov.vn, zalo_oa:777",
                        "PAPIBOT_ADMIN_IDS": "email:lan@sonla.gov.vn", "PAPIBOT_STAFF_IDS": "zalo_oa:777",
                        "PAPIBOT_SMTP_HOST": "127.0.0.1", "PAPIBOT_SMTP_FROM": SENDER,
                        "TELEGRAM_BOT_TOKEN": "123:abc", "PAPIBOT_DATA_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    main(["check"])
    warnings = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Cảnh báo")]
    assert any("zalo_oa:999: không phải cán bộ đã khai báo" in w and "quyền quản trị" in w for w in warnings)
    assert any("zalo_oa:777: chỉ là cán bộ xem số liệu" in w for w in warnings)
    assert any("zalo_oa:999: kênh Zalo OA chưa được cấu hình" in w for w in warnings)
    assert not any("-1001234" in w or "lan@sonla.gov.vn" in w for w in warnings)  # a group; a listed address


async def test_the_privacy_notice_says_when_questions_travel_by_email(config: Config) -> None:
    plain = await open_services(config)
    try:
        assert "thư điện tử" not in (await say(plain, citizen(), "/baomat")).text
    finally:
        await plain.close()
    emailed = await open_services(load_config(
        env={}, data_dir=config.data_dir, db_path=config.db_path, db_url=config.db_url,
        knowledge_dir=config.knowledge_dir, admin_chat_id="email:lan@sonla.gov.vn", smtp_host="127.0.0.1",
        smtp_from=SENDER))
    try:
        notice = (await say(emailed, citizen(), "/baomat")).text
        assert "thư điện tử" in notice and "/xoadulieu không xóa được" in notice and "365 ngày" in notice
    finally:
        await emailed.close()


async def test_the_live_count_is_for_admins_and_never_keeps_a_session_alive(config: Config) -> None:
    clock = FixedClock(time.time())
    services = await open_services(config, clock=clock)
    try:
        await add_accounts(services)
        async with client(services) as web:
            assert (await web.get("/inbox/live")).status_code == 401
            await login(web, "minh")  # staff: the dashboard only
            assert (await web.get("/inbox/live")).status_code == 401
        async with client(services) as web:
            await login(web, "lan")
            await services.citizen.ask(citizen(), FLYCAM)
            assert "(1) Hộp thư" in (await web.get("/inbox")).text  # the title counts with JavaScript off too
            for _ in range(3):
                clock.advance(IDLE / 3 - 60)  # the inbox open in a tab, polling, nobody at the desk
                assert (await web.get("/inbox/live")).json() == {"pending": 1, "latest": 1, "problems": 0}
            clock.advance(200)
            assert (await web.get("/inbox")).headers["location"] == "/login"  # the polling did not keep it alive
    finally:
        await services.close()
