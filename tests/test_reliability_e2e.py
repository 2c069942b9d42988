"""The real bot process under a crash, a flood and a failing Bot API: nothing lost, nothing twice."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import pytest

from bot.engine.replies import UNSENT_AT_MOST
from tests.fakebotapi import FakeBotAPI
from tests.test_telegram_e2e import ADMIN, ADMIN_CHAT, _start, _stop, _wait_ready, start_webhook

TICKET = re.compile(r"Mã câu hỏi của bạn: <b>#(\d+)</b>")
CITIZENS, EACH = 20, 10


def _told(fake: FakeBotAPI) -> list[tuple[int, int]]:
    """(chat, ticket) for every ticket number the bot told a citizen."""
    return [(m["chat_id"], int(t[1])) for m in fake.sent() if (t := TICKET.search(m["text"] or ""))]


def _wait(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


@pytest.mark.slow
def test_kill_9_in_a_burst_loses_nothing_and_repeats_nothing(tmp_path: Path) -> None:
    with FakeBotAPI("123456:fake-token-crash") as fake:
        proc, log = _start(fake, tmp_path, PAPIBOT_RATE_LIMIT="0", PAPIBOT_ADMIN_CHAT_ID="")
        _wait_ready(fake, proc, log, "getUpdates")
        questions = {}
        for i in range(EACH):
            for c in range(CITIZENS):
                text = f"flycam quay phim đám cưới lần {c}-{i}"
                questions[fake.inject_message(2000 + c, text)] = (2000 + c, text)
        _wait(lambda: len(_told(fake)) >= 30)
        proc.kill()  # kill -9: no shutdown, no offset confirmation
        proc.wait(10)
        told_before = set(_told(fake))
        proc, log = _start(fake, tmp_path, PAPIBOT_RATE_LIMIT="0", PAPIBOT_ADMIN_CHAT_ID="")
        try:
            last = max(questions)
            _wait(lambda: fake.confirmed_offset > last, timeout=90)  # every update handled and confirmed
            time.sleep(2)  # anything extra would show up now
        finally:
            assert _stop(proc) == 0
        told = _told(fake)
        assert told_before <= set(told)
        assert len(told) == len(set(told))  # no citizen was told anything twice
        # Only a reply not yet sent at the kill can be missing (their number is bounded); its question is stored.
        assert len(told) >= len(questions) - UNSENT_AT_MOST
        with sqlite3.connect(tmp_path / "db.sqlite") as db:
            rows = db.execute("SELECT id, user_id, question FROM tickets").fetchall()
        assert sorted((int(u), q) for _, u, q in rows) == sorted(questions.values())  # each queued exactly once
        assert {(int(u), i) for i, u, _ in rows} >= set(told)


@pytest.mark.slow
def test_admin_answer_in_flight_is_delivered_once(tmp_path: Path) -> None:
    with FakeBotAPI("123456:fake-token-answer") as fake:
        proc, log = _start(fake, tmp_path)
        _wait_ready(fake, proc, log, "getUpdates")
        fake.inject_message(3001, "thủ tục cấp phép bay flycam quay phim đám cưới")
        post = fake.wait_for(lambda m: m["chat_id"] == ADMIN_CHAT and "Câu hỏi mới" in m["text"], timeout=20)
        fake.inject_message(ADMIN, "Liên hệ Sở Xây dựng để được hướng dẫn.", chat_id=ADMIN_CHAT,
                            chat_type="supergroup", reply_to_message_id=post["message_id"])
        fake.wait_for(lambda m: m["chat_id"] == 3001 and "Liên hệ Sở Xây dựng" in m["text"], timeout=20)
        time.sleep(0.5)  # past the instant between Telegram's acceptance and the outbox's record of it
        proc.kill()  # before the admin's update is confirmed: Telegram will deliver it again
        proc.wait(10)
        proc, log = _start(fake, tmp_path)
        try:
            _wait_ready(fake, proc, log, "getUpdates")
            time.sleep(4)
        finally:
            _stop(proc)
        answers = [m for m in fake.sent(3001) if "Liên hệ Sở Xây dựng" in m["text"]]
        assert len(answers) == 1


def test_a_flood_from_one_citizen_does_not_delay_another(tmp_path: Path) -> None:
    with FakeBotAPI("123456:fake-token-flood") as fake:
        proc, log = _start(fake, tmp_path, PAPIBOT_RATE_LIMIT="20")
        try:
            _wait_ready(fake, proc, log, "getUpdates")
            for i in range(500):
                fake.inject_message(4001, f"câu hỏi số {i}")
            t0 = time.monotonic()
            fake.inject_message(4002, "cấp lại căn cước bị mất")
            fake.wait_for(lambda m: m["chat_id"] == 4002 and "căn cước" in m["text"].lower(), timeout=15)
            assert time.monotonic() - t0 < 10
            time.sleep(1)
            flooded = fake.sent(4001)
            assert sum("quá nhanh" in m["text"] for m in flooded) == 1  # told once, politely
            assert len(flooded) <= 21
        finally:
            _stop(proc)


def test_failing_bot_api_replies_still_arrive_once(tmp_path: Path) -> None:
    with FakeBotAPI("123456:fake-token-fault") as fake:
        proc, log = _start(fake, tmp_path)
        try:
            _wait_ready(fake, proc, log, "getUpdates")
            for n, fault in enumerate(("500", "drop", "429")):
                chat = 5001 + n
                if fault == "drop":
                    fake.drop_next("sendMessage")
                else:
                    fake.fail_next("sendMessage", status=int(fault), retry_after=1 if fault == "429" else None)
                fake.inject_message(chat, "xin giấy xác nhận độc thân ở đâu")
                fake.wait_for(lambda m, c=chat: m["chat_id"] == c and "hôn nhân" in m["text"], timeout=30)
            time.sleep(3)
            for n in range(3):
                assert len([m for m in fake.sent(5001 + n) if "hôn nhân" in m["text"]]) == 1
        finally:
            _stop(proc)


def test_a_burst_of_ticket_posts_does_not_hold_up_answers(tmp_path: Path) -> None:
    with FakeBotAPI("123456:fake-token-posts") as fake:
        proc, log = _start(fake, tmp_path, PAPIBOT_RATE_LIMIT="0")
        try:
            _wait_ready(fake, proc, log, "getUpdates")
            for c in range(30):  # 30 posts to a group Telegram limits to 20 messages a minute
                fake.inject_message(6000 + c, f"flycam quay phim đám cưới lần {c}")
            _wait(lambda: len(_told(fake)) >= 30, timeout=30)
            fake.inject_message(ADMIN, "/answer 1 Liên hệ Sở Xây dựng để được hướng dẫn.")
            t0 = time.monotonic()
            fake.wait_for(lambda m: m["chat_id"] == 6000 and "Liên hệ Sở Xây dựng" in m["text"], timeout=20)
            assert time.monotonic() - t0 < 10
        finally:
            _stop(proc)


def test_webhook_acknowledges_an_update_only_after_handling_it(tmp_path: Path) -> None:
    with FakeBotAPI("654321:fake-token-ack") as fake:
        proc, log = start_webhook(fake, tmp_path, "ack-secret")
        try:
            _wait_ready(fake, proc, log, "setWebhook")
            update = fake.inject_message(7001, "flycam quay phim đám cưới lần đầu")
            _wait(lambda: _post_quietly(fake, update) == 200, timeout=10)
            # Telegram hears 200 only now: the ticket is already stored (the reply is on its way, not awaited).
            with sqlite3.connect(tmp_path / "db.sqlite") as db:
                assert db.execute("SELECT question FROM tickets WHERE user_id = '7001'").fetchall() == [
                    ("flycam quay phim đám cưới lần đầu",)]
            fake.wait_for(lambda m: m["chat_id"] == 7001 and "Mã câu hỏi" in m["text"], timeout=10)
        finally:
            assert _stop(proc) == 0


def _post_quietly(fake: FakeBotAPI, update: int) -> int:
    try:
        return fake.post_update_to_webhook(update, secret="ack-secret")
    except OSError:  # the server is still starting
        return 0
