"""The console chat through piped input, as an office would try it before Telegram."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def papibot(args: list[str], db: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PAPIBOT_DB": str(db)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.run([sys.executable, "-m", "app.cli", *args], input=stdin, capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=60)


def test_whole_loop_question_ticket_answer_next_session(tmp_path: Path) -> None:
    db = tmp_path / "papibot.db"
    first = papibot(["chat", "--as", "citizen", "--user", "42"], db, "xin chào\nlàm sổ đỏ lần đầu cần giấy tờ gì\n")
    assert first.returncode == 0, first.stderr
    assert "Xin chào" in first.stdout and "Cấp giấy chứng nhận quyền sử dụng đất lần đầu" in first.stdout
    options = re.findall(r"^\[(\d+)\] (.*)$", first.stdout, re.M)
    assert len(options) <= 5 and "Hỏi cán bộ" in dict(options).values(), first.stdout  # the rest behind «Xem thêm»
    more = {label: n for n, label in options}["Xem thêm"]
    # The numbered menu outlives the session (it is kept for 30 minutes in the database).
    others = papibot(["chat", "--user", "42"], db, f"{more}\n")
    helpful = re.search(r"^\[(\d+)\] 👍 Hữu ích$", others.stdout, re.M)
    assert helpful and "Hỏi cán bộ" in others.stdout, others.stdout
    rated = papibot(["chat", "--user", "42"], db, f"{helpful[1]}\ncấp phép bay flycam quay phim đám cưới\n")
    out = rated.stdout
    assert "Cảm ơn bạn đã đánh giá" in out
    assert "Mã câu hỏi của bạn: #1" in out
    assert "<b>" not in out + first.stdout  # the console shows plain text, not Telegram HTML

    listed = papibot(["queue", "list", "--json", "--status", "pending"], db)
    assert '"question": "cấp phép bay flycam quay phim đám cưới"' in listed.stdout
    answered = papibot(["queue", "answer", "1", "Liên hệ Sở Xây dựng để được hướng dẫn cấp phép bay."], db)
    assert answered.returncode == 0 and "Đã trả lời câu hỏi #1" in answered.stdout

    second = papibot(["chat", "--user", "42"], db, "/cauhoi\n")
    assert "Trả lời câu hỏi #1" in second.stdout and "Liên hệ Sở Xây dựng" in second.stdout
    assert "#1 đã trả lời" in second.stdout
    third = papibot(["chat", "--user", "42"], db, "")
    assert "Liên hệ Sở Xây dựng" not in third.stdout  # delivered once, not at every session


def test_roles_are_enforced_in_the_console(tmp_path: Path) -> None:
    db = tmp_path / "papibot.db"
    citizen = papibot(["chat", "--as", "citizen"], db, "/queue\n/status\n")
    assert citizen.stdout.count("chỉ dành cho cán bộ") == 2
    staff = papibot(["chat", "--as", "staff"], db, "/status quan-tri-dien-tu\n/queue\n")
    assert "8.1" in staff.stdout and "Phòng TCHCQT" in staff.stdout
    assert "chỉ dành cho cán bộ" in staff.stdout  # staff may not operate the queue


def test_bad_input_gets_a_polite_reply_and_no_crash(tmp_path: Path) -> None:
    lines = ["", "   ", "🙂🙂🙂", "\u200b\u200e", "\x07\x1b[31m", "Привет, как дела?", "什么", "x" * 5000,
             "<b>sổ đỏ</b> {{ 7*7 }} '; DROP TABLE tickets; --", "/theodoi abc", "/khonglenh"]
    result = papibot(["chat", "--user", "9"], tmp_path / "db", "\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "49" not in result.stdout.replace("2049", "")  # template syntax is never evaluated
    assert result.stdout.count("Tôi chưa nhận được câu hỏi nào") >= 3
    assert "Bạn cần hỏi gì cứ gõ câu hỏi nhé" in result.stdout  # emoji alone: small talk, not a ticket
    assert "Số câu hỏi không hợp lệ" in result.stdout and "Tôi không hiểu lệnh này" in result.stdout


def test_ask_is_read_only_and_prints_one_json_line_per_question(tmp_path: Path) -> None:
    batch = tmp_path / "q.txt"
    batch.write_text("cấp lại cccd bị mất\nxin chào\nkết quả xổ số\n", encoding="utf-8")
    result = papibot(["ask", "--json", "--batch", str(batch)], tmp_path / "db")
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert '"decision": "answer", "topic": "can-cuoc"' in lines[0]
    assert '"decision": "smalltalk"' in lines[1] and '"decision": "queue"' in lines[2]
    assert not (tmp_path / "db").exists()
