"""End to end: the real `papibot run` process against the fake Bot API, polling and webhook."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakebotapi import FakeBotAPI

ADMIN, STAFF, ADMIN_CHAT = 7, 8, -1001234
ROOT = Path(__file__).resolve().parent.parent


def _command() -> list[str]:
    script = Path(sys.executable).parent / "papibot"
    return [str(script), "-v", "run"] if script.exists() else [sys.executable, "-m", "app.cli", "-v", "run"]


def _start(fake: FakeBotAPI, tmp: Path, **extra: str) -> tuple[subprocess.Popen[bytes], Path]:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "PAPIBOT_TELEGRAM_API": fake.url,
           "PAPIBOT_DB": str(tmp / "db.sqlite"), "PAPIBOT_ADMIN_IDS": str(ADMIN), "PAPIBOT_STAFF_IDS": str(STAFF),
           "PAPIBOT_ADMIN_CHAT_ID": str(ADMIN_CHAT), "PAPIBOT_HTTP_PORT": str(free_port()), "PAPIBOT_WEB_PORT": "0",
           **extra}
    log = tmp / "bot.log"
    proc = subprocess.Popen(_command(), cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    return proc, log


def _wait_ready(fake: FakeBotAPI, proc: subprocess.Popen[bytes], log: Path, method: str) -> None:
    deadline = time.monotonic() + 20
    while method not in fake.calls:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"bot did not start (exit {proc.poll()}):\n{log.read_text(errors='replace')}")
        time.sleep(0.05)


def _stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
        return -9


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeBotAPI, subprocess.Popen[bytes], Path]]:
    with FakeBotAPI("123456:fake-token-e2e") as fake:
        proc, log = _start(fake, tmp_path_factory.mktemp("polling"))
        try:
            _wait_ready(fake, proc, log, "getUpdates")
            yield fake, proc, log
        finally:
            if proc.poll() is None:
                _stop(proc)


def _to(chat: int, needle: str = "") -> Any:
    return lambda m: m["chat_id"] == chat and needle in m["text"]


def test_known_question_is_answered_with_rating_buttons(bot: Any) -> None:
    fake, _, _ = bot
    fake.inject_message(101, "làm sổ đỏ lần đầu cần giấy tờ gì")
    reply = fake.wait_for(_to(101, "Cấp giấy chứng nhận quyền sử dụng đất lần đầu"))
    assert reply["parse_mode"] == "HTML"
    rows = reply["reply_markup"]["inline_keyboard"]
    assert [b["callback_data"][-1] for b in rows[-1]] == ["y", "n"]  # rating last, under the sections
    assert any(b["callback_data"].endswith(":fee") for row in rows for b in row)
    assert not any(a["chat_id"] == 101 for a in fake.chat_actions)  # instant: no "typing…" spent


def test_unknown_question_goes_to_admins_and_their_reply_reaches_the_citizen(bot: Any) -> None:
    fake, _, _ = bot
    fake.inject_message(102, "thủ tục nhận con nuôi", first_name="Lò Văn A")
    queued = fake.wait_for(_to(102, "#"))
    number = queued["text"].split("<b>#")[1].split("<")[0]
    post = fake.wait_for(_to(ADMIN_CHAT, f"Câu hỏi mới #{number}"))
    assert post["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == f"ans:{number}"
    fake.inject_message(ADMIN, "Bạn đến UBND xã nơi cư trú để đăng ký.", chat_id=ADMIN_CHAT, chat_type="supergroup",
                        reply_to_message_id=post["message_id"])
    answer = fake.wait_for(_to(102, f"Trả lời câu hỏi #{number}"))
    assert "<blockquote>thủ tục nhận con nuôi</blockquote>" in answer["text"]
    assert "UBND xã nơi cư trú" in answer["text"]
    fake.wait_for(_to(ADMIN_CHAT, f"Đã trả lời câu hỏi #{number}"))


def test_staff_status_lists_the_area_tasks(bot: Any) -> None:
    fake, _, _ = bot
    fake.inject_message(STAFF, "/status quan-tri-dien-tu")
    assert "8.1" in fake.wait_for(_to(STAFF, "Quản trị điện tử"))["text"]


def test_citizen_is_refused_admin_commands(bot: Any) -> None:
    fake, _, _ = bot
    fake.inject_message(103, "/queue")
    reply = fake.wait_for(_to(103))
    assert "chỉ dành cho cán bộ" in reply["text"] and "chờ trả lời" not in reply["text"]


def test_suggestion_button_gives_the_answer(bot: Any) -> None:
    fake, _, _ = bot
    fake.inject_message(104, "hộ tịch")
    suggest = fake.wait_for(lambda m: m["chat_id"] == 104 and "sug:" in str(m["reply_markup"]))
    first = suggest["reply_markup"]["inline_keyboard"][0][0]
    fake.inject_callback(104, first["callback_data"], suggest["message_id"])
    answer = fake.wait_for(lambda m: m["chat_id"] == 104 and "fb:" in str(m["reply_markup"]))
    assert answer["text"].startswith(f"<b>{first['text']}</b>")


def test_forged_admin_buttons_from_a_citizen_are_rejected(bot: Any) -> None:
    fake, _, _ = bot
    fake.inject_message(105, "làm sổ đỏ lần đầu cần giấy tờ gì")
    mine = fake.wait_for(_to(105))
    before = len(fake.callback_answers)
    for data in ("ans:1", "q:0", "sug:1:<script>"):
        fake.inject_callback(105, data, mine["message_id"])
    deadline = time.monotonic() + 10
    while len(fake.callback_answers) < before + 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    answers = fake.callback_answers[before:]
    assert len(answers) == 3 and all(a["show_alert"] for a in answers)
    time.sleep(0.3)
    assert [m["message_id"] for m in fake.sent(105)] == [mine["message_id"]]  # nothing else was sent


def test_429_is_retried_and_the_reply_still_arrives(bot: Any) -> None:
    fake, _, _ = bot
    fake.fail_next("sendMessage", 429, retry_after=1)
    fake.inject_message(106, "làm sổ đỏ lần đầu cần giấy tờ gì")
    fake.wait_for(_to(106, "Cấp giấy chứng nhận"))
    attempts = [p for m, p in fake.requests if m == "sendMessage" and p.get("chat_id") == 106]
    assert len(attempts) == 2


def test_sigterm_stops_cleanly_without_leaking_the_token(bot: Any) -> None:
    fake, proc, log = bot
    assert _stop(proc) == 0
    assert fake.token not in log.read_text(errors="replace")


def _post_when_listening(fake: FakeBotAPI, update: int) -> int:
    """POST without the secret, retrying while the webhook server is still starting after setWebhook."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return fake.post_update_to_webhook(update)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_webhook(fake: FakeBotAPI, tmp: Path, secret: str) -> tuple[subprocess.Popen[bytes], Path]:
    """The bot in webhook mode on the one HTTP server (a free local port), with the given secret token."""
    port = free_port()
    return _start(fake, tmp, PAPIBOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook",
                  PAPIBOT_HTTP_LISTEN="127.0.0.1", PAPIBOT_HTTP_PORT=str(port), PAPIBOT_WEBHOOK_SECRET=secret)


def test_webhook_mode_requires_the_secret(tmp_path: Path) -> None:
    with FakeBotAPI("654321:fake-token-hook") as fake:
        proc, log = start_webhook(fake, tmp_path, "s3cret-Token_1")
        try:
            _wait_ready(fake, proc, log, "setWebhook")
            assert fake.webhook_secret == "s3cret-Token_1"
            update = fake.inject_message(201, "làm sổ đỏ lần đầu cần giấy tờ gì")
            assert _post_when_listening(fake, update) == 403
            assert fake.post_update_to_webhook(update, secret="s3cret-Token_1") == 200
            fake.wait_for(_to(201, "Cấp giấy chứng nhận"))
        finally:
            assert _stop(proc) == 0


def test_webhook_mode_without_secret_refuses_to_start(tmp_path: Path) -> None:
    with FakeBotAPI() as fake:
        proc, log = _start(fake, tmp_path, PAPIBOT_WEBHOOK_URL="https://bot.example.invalid/tg")
        assert proc.wait(20) == 2
    assert "PAPIBOT_WEBHOOK_SECRET" in log.read_text()
