"""End to end: a real `papibot run` process with Zalo OA (and Telegram for the officers) against the fakes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.fakebotapi import FakeBotAPI
from tests.fakezalo import FakeZaloOA
from tests.zalo_stack import free_port

ROOT = Path(__file__).resolve().parent.parent
ADMIN, ADMIN_CHAT = 7, -1001234


def _oa_env(fake: FakeZaloOA, tmp: Path, port: int) -> dict[str, str]:
    return {**os.environ, "PAPIBOT_ZALO_OA_APP_ID": fake.app_id, "PAPIBOT_ZALO_OA_APP_SECRET": fake.app_secret,
            "PAPIBOT_ZALO_OA_SECRET_KEY": fake.oa_secret_key, "PAPIBOT_ZALO_OA_REFRESH_TOKEN": fake.refresh_token,
            "PAPIBOT_ZALO_OA_ID": fake.oa_id, "PAPIBOT_ZALO_OA_API": fake.url, "PAPIBOT_ZALO_OAUTH_API": fake.url,
            "PAPIBOT_DB": str(tmp / "db.sqlite"), "PAPIBOT_HTTP_PORT": str(port), "PAPIBOT_RATE_LIMIT": "0",
            "PAPIBOT_WEB_PORT": "0"}


def _start(env: dict[str, str], tmp: Path, port: int) -> subprocess.Popen[bytes]:
    log = (tmp / "bot.log").open("ab")
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "-v", "run"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return proc
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError((tmp / "bot.log").read_text(errors="replace"))
        time.sleep(0.1)


def _health(port: int) -> Any:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
        return json.load(resp)


def test_kill_after_the_ack_loses_nothing(tmp_path: Path) -> None:
    with FakeZaloOA(access_token=None) as fake:
        port = free_port()
        env = _oa_env(fake, tmp_path, port)
        proc = _start(env, tmp_path, port)
        url = f"http://127.0.0.1:{port}/zalo/oa/webhook"
        try:
            fake.delay(30, times=1, target="message/cs")  # the first reply hangs: the next event waits its turn
            assert fake.post_event(url, fake.text_event("k1", "khai sinh"))[0] == 200
            deadline = time.monotonic() + 10
            while not any("message/cs" in r["path"] for r in fake.requests) and time.monotonic() < deadline:
                time.sleep(0.02)
            assert fake.post_event(url, fake.text_event("k1", "khai tử"))[0] == 200  # acknowledged, stored
        finally:
            proc.kill()  # kill -9: no clean shutdown
            proc.wait(10)
        fake.clear_faults()
        assert not any("khai tử" in m["text"].lower() for m in fake.messages_to("k1"))
        proc = _start(env, tmp_path, port)
        try:
            reply = fake.wait_for(lambda m: m["user_id"] == "k1" and "khai tử" in m["text"].lower(), timeout=10)
            assert reply["text"]
            time.sleep(0.5)
            assert sum("khai tử" in m["text"].lower() for m in fake.messages_to("k1")) == 1
        finally:
            proc.terminate()
            assert proc.wait(15) == 0


def test_telegram_officer_answers_a_zalo_citizen(tmp_path: Path) -> None:
    with FakeZaloOA(access_token=None) as oa, FakeBotAPI("123456:fake-token-zalo") as tg:
        port = free_port()
        env = {**_oa_env(oa, tmp_path, port), "TELEGRAM_BOT_TOKEN": tg.token, "PAPIBOT_TELEGRAM_API": tg.url,
               "PAPIBOT_ADMIN_IDS": str(ADMIN), "PAPIBOT_ADMIN_CHAT_ID": str(ADMIN_CHAT)}
        proc = _start(env, tmp_path, port)
        try:
            url = f"http://127.0.0.1:{port}/zalo/oa/webhook"
            assert oa.post_event(url, oa.text_event("z1", "thủ tục nhận con nuôi"))[0] == 200
            oa.wait_for(lambda m: m["user_id"] == "z1" and "#1" in m["text"], timeout=10)
            post = tg.wait_for(lambda m: m["chat_id"] == ADMIN_CHAT and "Câu hỏi mới #1" in m["text"])
            assert "Zalo OA" in post["text"]
            tg.inject_message(ADMIN, "/answer 1 Hồ sơ nộp tại UBND xã nơi cư trú.")
            answer = oa.wait_for(lambda m: m["user_id"] == "z1" and "UBND xã" in m["text"], timeout=10)
            assert "#1" in answer["text"]
            health = _health(port)
            assert set(health["channels"]) == {"telegram", "zalo_oa"} and health["channels"]["zalo_oa"]["token"] == "ok"
            log = (tmp_path / "bot.log").read_text(errors="replace")
            assert oa.app_secret not in log and oa.oa_secret_key not in log and oa.access_token not in log
            assert tg.token not in log
        finally:
            proc.terminate()
            assert proc.wait(15) == 0
