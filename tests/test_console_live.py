"""The console chat at a real terminal: an officer's answer appears while the citizen waits, without typing."""

from __future__ import annotations

import codecs
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class Terminal:
    """`papibot chat` on a pseudo-terminal: what a person types and sees."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, stdin=slave,
                                     stdout=slave, stderr=slave, close_fds=True)
        os.close(slave)
        self.screen, self.cursor = "", 0
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")  # a character may span two reads

    def type(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        """Read the screen until `text` appears after what was already awaited; the part up to it."""
        deadline = time.monotonic() + timeout
        while text not in self.screen[self.cursor:]:
            left = deadline - time.monotonic()
            assert left > 0 and self.proc.poll() is None, f"never saw {text!r}; screen:\n{self.screen[self.cursor:]}"
            if select.select([self.master], [], [], left)[0]:
                self.screen += self.decoder.decode(os.read(self.master, 4096))
        end = self.screen.index(text, self.cursor) + len(text)
        part, self.cursor = self.screen[self.cursor:end], end
        return part

    def close(self) -> int:
        os.write(self.master, b"\x04")  # Ctrl+D: end of input
        try:
            return self.proc.wait(20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            os.close(self.master)


def test_an_officers_answer_appears_while_the_citizen_waits_at_the_prompt(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPIBOT_", "TELEGRAM_", "ZALO_"))}
    env["PAPIBOT_DB"] = str(tmp_path / "papibot.db")
    chat = Terminal(["chat", "--user", "42"], env)
    try:
        chat.wait_for("> ")
        chat.type("cấp phép bay flycam quay phim đám cưới")
        chat.wait_for("Mã câu hỏi của bạn: #1")
        chat.wait_for("> ")
        answered = subprocess.run([sys.executable, "-m", "app.cli", "queue", "answer", "1",
                                   "Liên hệ Sở Xây dựng để được hướng dẫn cấp phép bay."], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=60)
        assert answered.returncode == 0, answered.stderr
        shown = chat.wait_for("Liên hệ Sở Xây dựng để được hướng dẫn cấp phép bay.", timeout=15)
        assert "Trả lời câu hỏi #1" in shown  # nothing was typed: it arrived on its own
        chat.wait_for("> ")  # the prompt comes back under it
    finally:
        assert chat.close() == 0


def test_papibot_run_at_a_terminal_without_a_channel_is_still_the_console_chat(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPIBOT_", "TELEGRAM_", "ZALO_"))}
    env.update(PAPIBOT_DB=str(tmp_path / "papibot.db"), PAPIBOT_WEB_PORT="0")
    chat = Terminal(["run"], env)
    try:
        chat.wait_for("mở trò chuyện trên console")
        chat.wait_for("> ")
        chat.type("làm sổ đỏ lần đầu cần giấy tờ gì")
        assert "[5] Xem thêm" in chat.wait_for("(gõ số để chọn)")
    finally:
        assert chat.close() == 0
