"""What citizens say, measured: the satisfaction survey and feedback on administrative regulations, on both backends."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.engine.guard import FloodGuard
from bot.engine.router import Router
from bot.engine.services import Services
from bot.kernel.config import Config
from bot.kernel.events import Event
from bot.kernel.models import CITIZEN, Reply, User
from bot.kernel.render import VN_TZ, to_plain
from bot.papi.survey_form import SurveyError, load_survey
from handlers.routes import ROUTES
from tests.conftest import ROOT_DIR, admin, citizen, deliver_due, press, say
from tests.test_erasure import raw_traces, traces

BOTH_BACKENDS = True
TODAY = dt.date(2026, 3, 14)
NOW = dt.datetime(2026, 3, 14, 12, tzinfo=VN_TZ).timestamp()  # the live sections of TODAY's half-year
PERSON = User("zalo_oa", "8421097412338840001", "8421097412338840001", "Lò Thị Mai", CITIZEN)


def papibot(config: Config, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """The real command line on the test's database (SQLite file or PostgreSQL URL)."""
    env = {**os.environ, "PAPIBOT_DB": config.db_url or str(config.db_path), "PAPIBOT_DATA_DIR": str(config.data_dir),
           "PAPIBOT_KNOWLEDGE": str(config.knowledge_dir)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.run([sys.executable, "-m", "app.cli", *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=ROOT_DIR, timeout=120)


@pytest.fixture
def pinned(services: Services) -> Services:
    """The services with the survey's day pinned (the 30-day rule and the month are judged on it)."""
    services.survey.today = lambda: TODAY
    return services


def live(counts: dict[str, Any], key: str) -> dict[str, Any]:
    """One live section of counts_data (what /counts and counts --json show), its numbers under "data"."""
    return next(s for s in counts["live"] if s["key"] == key)


async def take(services: Services, user: User, *numbers: str) -> list[Reply]:
    """/danhgia, then each number typed as the console and Zalo users do (at most five options: the first
    question's sixth to eighth are behind «Xem thêm», 5; 0 is «Bỏ qua»)."""
    replies = [await say(services, user, "/danhgia")]
    for number in numbers:
        replies.append(await say(services, user, number))
    return replies


async def test_survey_in_the_console_chat_is_counted_by_the_cli_and_survives_erasure(pinned, config) -> None:
    replies = await take(pinned, PERSON, "1", "1", "4", "5", "3", "2")
    assert "Câu 1." in replies[0].text and "tối đa 6 câu" in replies[0].text
    assert "Cảm ơn bạn" in replies[-1].text and not replies[-1].buttons  # six questions, then thanks
    stats = json.loads(papibot(config, "survey", "stats", "--json").stdout)
    assert stats["responses"] == 1
    assert stats["elements"]["access"] == {"mean": 4.0, "n": 1}
    assert stats["elements"]["officers"] == {"mean": 3.0, "n": 1}
    assert stats["elements"]["feedback"] == {"mean": None, "n": 0}
    assert stats["by_month"]["2026-03"]["responses"] == 1
    # The answers carry no person id: the one link is the offer date, and erasure removes it.
    assert await pinned.storage.survey.offer(PERSON.channel, PERSON.user_id) == ("2026-03-14", True)
    assert PERSON.user_id not in json.dumps(await pinned.storage.survey.answers())
    await say(pinned, PERSON, "/xoadulieu")
    await press(pinned, PERSON, "del:yes")
    assert await pinned.storage.survey.offer(PERSON.channel, PERSON.user_id) is None
    assert await traces(pinned.storage, [PERSON.user_id]) == []
    assert json.loads(papibot(config, "survey", "stats", "--json").stdout)["elements"]["access"]["n"] == 1


async def test_only_the_elements_that_apply_are_asked(pinned) -> None:
    online = await take(pinned, citizen(1), "2", "3", "5", "5", "5")  # identity card, online: no officers question
    assert [to_plain(r.text).split("Câu ")[-1][:2] for r in online[1:-1]] == ["2.", "3.", "4.", "5."]
    assert "Cán bộ, công chức" not in " ".join(r.text for r in online) and "Cảm ơn" in online[-1].text
    feedback = await take(pinned, citizen(2), "5", "3", "1", "0", "4", "2")  # feedback (behind «Xem thêm»),
    # at the commune; 0: «Bỏ qua»
    texts = " ".join(r.text for r in feedback)
    assert "Phản ánh, kiến nghị của bạn" in texts and "Thủ tục (giấy tờ" not in texts
    nothing = await take(pinned, citizen(3), "5", "4")  # did nothing recently: one question only
    assert "Cảm ơn" in nothing[-1].text
    stats = live(await pinned.staff.counts_data(now=NOW), "survey")["data"]
    assert stats["elements"]["feedback"] == {"mean": 2.0, "n": 1}
    assert stats["elements"]["access"] == {"mean": 5.0, "n": 1}  # a skipped answer is not counted
    assert stats["screening"]["viec"]["khong"] == 1 and stats["responses"] == 3


async def test_stop_keeps_what_was_answered_and_a_person_is_asked_once_in_30_days(pinned) -> None:
    replies = await take(pinned, citizen(), "1", "2", "4")
    assert "«dừng»: dừng khảo sát" in replies[-1].text and len(replies[-1].buttons) == 5  # the scale, numbered
    assert "Đã dừng" in (await say(pinned, citizen(), "Dừng")).text  # typed: no sixth and seventh option
    survey = live(await pinned.staff.counts_data(now=NOW), "survey")
    assert survey["data"]["elements"]["access"] == {"mean": 4.0, "n": 1}
    assert {"label": "Tiếp cận dịch vụ", "value": "4,0/5", "unit": "(1 câu trả lời, còn ít)"} in survey["rows"]
    again = await say(pinned, citizen(), "/danhgia")
    assert "đánh giá lại từ ngày 13/04/2026" in again.text and not again.buttons
    pinned.survey.today = lambda: TODAY + dt.timedelta(days=30)
    assert "Câu 1." in (await say(pinned, citizen(), "/danhgia")).text


async def test_a_survey_button_nobody_started_changes_nothing(pinned) -> None:
    reply = await press(pinned, citizen(9), "sv:v:AAAAAAAAAA:a:1")
    assert "không còn hiệu lực" in reply.text
    assert await pinned.storage.survey.answers() == []
    assert "không còn hiệu lực" in (await press(pinned, citizen(9), "sv:v:AAAA:a:1")).text  # malformed


async def test_the_survey_in_english(pinned) -> None:
    first = await say(pinned, citizen(), "/survey")
    assert "Question 1." in first.text and "Type 0 to skip" in first.text
    assert "Where did you do it?" in (await say(pinned, citizen(), "1")).text
    assert "From 1" in (await say(pinned, citizen(), "skip")).text  # «Skip» typed
    telegram = await pinned.survey.start(User("telegram", "5", "5", "", CITIZEN), english=True)  # buttons
    assert [label for label, _ in telegram.buttons[-1]] == ["Skip", "Stop"] and "Tap «Skip»" in telegram.text


async def test_skip_typed_on_a_channel_without_buttons_skips_and_other_text_is_a_question(pinned) -> None:
    await take(pinned, citizen(), "1", "1")
    assert "Câu 4." in (await say(pinned, citizen(), "0")).text  # Câu 3 skipped
    assert (await say(pinned, citizen(), "làm hộ chiếu ở đâu")).diagnosis.decision == "answer"  # not a survey answer
    assert (await say(pinned, citizen(), "0")).diagnosis.decision != "survey"  # the survey's menu was replaced
    [(_, answers)] = await pinned.storage.survey.answers()
    assert answers == {"viec": "ho-tich", "noi": "xa", "tiep-can": ""}


async def test_an_officers_answer_invites_once_and_danhgia_follows_the_invitation(pinned) -> None:
    person = citizen(21)
    received: list[str] = []

    async def send(chat_id: str, reply: Reply) -> None:
        received.append(reply.text)

    first = (await say(pinned, person, "cấp phép bay flycam quay phim đám cưới")).diagnosis.ticket_id
    await pinned.admin.answer(admin(), first, "Liên hệ Sở Văn hóa, Thể thao và Du lịch.")
    second = (await say(pinned, person, "xin phép bắn pháo hoa đám cưới")).diagnosis.ticket_id
    await pinned.admin.answer(admin(), second, "Liên hệ Công an tỉnh.")
    await deliver_due(pinned.storage, "console", send)
    await deliver_due(pinned.storage, "console", send)
    assert len(received) == 2 and "/danhgia" in received[0] and "/danhgia" not in received[1]
    assert await pinned.storage.survey.offer("console", "21") == ("2026-03-14", False)
    assert "Câu 1." in (await say(pinned, person, "/danhgia")).text  # the invitation is followed, once


def test_the_survey_file_is_checked_at_load(tmp_path: Path) -> None:
    shipped = yaml.safe_load((ROOT_DIR / "knowledge" / "survey.yaml").read_text(encoding="utf-8"))
    assert len(shipped["elements"]) == 5 and "1001/QĐ-BNV ngày 11/12/2023" in shipped["basis"]

    def broken(change: str, edit: object) -> str:
        data = json.loads(json.dumps(shipped))
        edit(data)  # type: ignore[operator]
        path = tmp_path / f"{change}.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        with pytest.raises(SurveyError) as err:
            load_survey(path)
        return str(err.value)

    extra = {"id": "them", "element": "access", "text": "Thêm?", "text_en": "More?"}
    assert "more than 6 questions" in broken("long", lambda d: d["questions"].append(extra))
    assert "text_en" in broken("english", lambda d: d["questions"][2].pop("text_en"))
    assert "earlier question" in broken("when", lambda d: d["questions"][3].update(when={"sau": ["x"]}))
    assert "not one of" in broken("element", lambda d: d["questions"][2].update(element="khac"))


async def fill_feedback(services: Services, user: User, name: str = "Lò Thị Mai") -> Reply:
    """/phananh and the five answers, then «Gửi phản ánh» (typed 1, as on Zalo and the console)."""
    assert "1/5" in (await say(services, user, "/phananh")).text
    for text in ("Thủ tục đăng ký khai sinh ở xã Hua La", "Cán bộ bắt nộp bản sao giấy tờ đã có trong dữ liệu",
                 "Bỏ yêu cầu nộp bản sao", name, "0912345678, bản Hua La"):
        reply = await say(services, user, text)
    assert "Xem lại phản ánh" in reply.text and name in reply.text
    return await say(services, user, "1")


async def test_feedback_is_filed_followed_and_answered_on_the_citizens_channel(services) -> None:
    filed = await fill_feedback(services, PERSON)
    assert "PA-1" in filed.text and "/theodoi PA-1" in filed.text
    mine = await say(services, PERSON, "/theodoi PA-1")
    assert "đã tiếp nhận" in mine.text and "bản sao" in mine.text and "0912345678" not in mine.text
    assert "Không tìm thấy phản ánh PA-1" in (await say(services, citizen(5), "/theodoi pa1")).text
    assert not (await services.feedback.set_status(admin(), 1, "transferred")).ok  # a body must be named
    assert (await services.feedback.set_status(admin(), 1, "transferred", "Sở Tư pháp")).ok
    assert (await services.feedback.answer(admin(), 1, "Văn phòng đã đề nghị bỏ yêu cầu bản sao.")).ok
    assert not (await services.feedback.answer(admin(), 1, "Lần hai")).ok
    assert not (await services.feedback.set_status(citizen(), 1, "handling")).ok  # officers only
    received: list[tuple[str, str]] = []

    async def send(chat_id: str, reply: Reply) -> None:
        received.append((chat_id, reply.text))

    await deliver_due(services.storage, "zalo_oa", send)
    await deliver_due(services.storage, "zalo_oa", send)
    assert [chat for chat, _ in received] == [PERSON.chat_id, PERSON.chat_id]
    assert "Sở Tư pháp" in received[0][1] and "đề nghị bỏ yêu cầu" in received[1][1]
    assert "đề nghị bỏ yêu cầu" in (await say(services, PERSON, "/theodoi PA-1")).text
    assert (await services.feedback.set_status(admin(), 1, "published")).ok
    counts = live(await services.staff.counts_data(), "feedback")
    assert counts["data"]["total"] == 1 and counts["data"]["by_status"]["published"] == 1
    assert counts["period"].startswith("6 tháng") and counts["as_of"]
    assert "Đã công khai: 1" in to_plain((await say(services, admin(), "/counts")).text)


async def test_feedback_button_cancel_group_and_privacy_notice(services) -> None:
    answer = await say(services, citizen(), "phản ánh kiến nghị về thủ tục hành chính")
    assert ("Gửi phản ánh", "pa:new") in [b for row in answer.buttons for b in row]
    assert "1/5" in (await press(services, citizen(), "pa:new")).text
    assert "Đã hủy" in (await say(services, citizen(), "hủy")).text
    assert (await say(services, citizen(), "làm hộ chiếu ở đâu")).diagnosis.decision == "answer"  # questions again
    router = Router(services, ROUTES, FloodGuard(0))
    group = await router.handle(Event("telegram", "5", "-100777", text="/phananh", private=False))
    assert group is not None and "tin nhắn riêng" in group.text
    notice = await say(services, citizen(), "/baomat")
    assert "365 ngày" in notice.text and "/danhgia" in notice.text and "/phananh" in notice.text
    assert "pa:send" not in str((await press(services, citizen(8), "pa:send")).buttons)  # nothing to send


async def test_erasure_and_retention_of_feedback(services, config, backend) -> None:
    await fill_feedback(services, PERSON)
    await say(services, PERSON, "/phananh")
    await say(services, PERSON, "một bản nháp có tên Lò Thị Mai")  # a draft being written goes too
    assert await traces(services.storage, ["Lò Thị Mai", "0912345678"])
    await services.citizen.delete_data(PERSON, True)
    assert await traces(services.storage, ["Lò Thị Mai", "0912345678", "Hua La", PERSON.user_id]) == []
    if backend == "sqlite":  # nor in the files' raw bytes (free pages, the WAL)
        assert raw_traces(config.db_path, "0912345678") == [] and raw_traces(config.db_path, "Hua La") == []
    assert live(await services.staff.counts_data(), "feedback")["data"]["total"] == 1  # counted, anonymous
    await fill_feedback(services, citizen(6), "Giàng A Sử")
    await services.feedback.answer(admin(), 2, "Đã trả lời.")
    await services.storage.retention.purge(time.time() + 1)  # a retention of no time at all: every finished item
    assert await traces(services.storage, ["Giàng A Sử"]) == []


def test_a_survey_typed_in_the_real_console_chat_is_counted(tmp_path: Path) -> None:
    env = {**os.environ, "PAPIBOT_DB": str(tmp_path / "papibot.db"), "PAPIBOT_DATA_DIR": str(tmp_path)}
    env.pop("TELEGRAM_BOT_TOKEN", None)

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "app.cli", *args], input=stdin, capture_output=True, text=True,
                              env=env, cwd=ROOT_DIR, timeout=120)

    chat = cli("chat", "--user", "42", stdin="/danhgia\n1\n3\n4\n0\n2\n")  # 0: «Bỏ qua», typed
    assert "Gõ 0 nếu không muốn trả lời" in chat.stdout and "[5] Rất hài lòng" in chat.stdout, chat.stderr
    assert "[6]" not in chat.stdout and "Câu 5." in chat.stdout and "Câu 6." not in chat.stdout
    assert "Cảm ơn bạn" in chat.stdout
    stats = json.loads(cli("survey", "stats", "--json").stdout)
    assert stats["responses"] == 1 and stats["elements"]["access"] == {"mean": 4.0, "n": 1}
    assert stats["elements"]["procedure"] == {"mean": None, "n": 0}  # skipped
    export = cli("survey", "export").stdout
    assert export.startswith("\ufeffthang,yeu_to") and "Tiếp cận dịch vụ" in export


async def test_an_old_button_pressed_again_never_shortens_the_stored_answers(pinned) -> None:
    replies = await take(pinned, citizen(), "1", "1", "4", "5", "3", "2")
    token_press = replies[1].buttons[0][0][1]  # «UBND xã» of question 2, pressed again after the end
    assert "Câu 3." in (await press(pinned, citizen(), token_press)).text
    [(_, answers)] = await pinned.storage.survey.answers()
    assert answers["ket-qua"] == "2" and len(answers) == 6


async def test_feedback_list_on_the_command_line_leaves_out_the_senders_details(services, config) -> None:
    await fill_feedback(services, PERSON)
    listed = papibot(config, "feedback", "list", "--json")
    data = json.loads(listed.stdout)
    assert data["items"][0]["code"] == "PA-1" and data["counts"]["by_status"]["received"] == 1
    assert "Lò Thị Mai" not in listed.stdout and "0912345678" not in listed.stdout
