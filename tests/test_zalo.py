"""Zalo OA channel: the citizen's scenarios, signatures, redelivery, takeover and the ack under a busy database."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakezalo import FakeZaloOA
from tests.fakezalo_state import now_ms
from tests.zalo_stack import OFFICER, Served, oa_config, oa_serving, post, say, settle


@pytest.fixture
def fake() -> Iterator[FakeZaloOA]:
    with FakeZaloOA() as oa:
        oa.user_wrote(OFFICER)
        yield oa


@pytest.fixture
async def oa(fake: FakeZaloOA, tmp_path: Path) -> AsyncIterator[Served]:
    async with oa_serving(oa_config(fake, tmp_path)) as served:
        yield served


async def test_question_answered_and_suggestion_picked_by_number(fake: FakeZaloOA, oa: Served) -> None:
    [answer] = await say(fake, oa, "u1", "làm sổ đỏ lần đầu cần giấy tờ gì")
    assert "Cấp giấy chứng nhận quyền sử dụng đất lần đầu" in answer["text"]
    [menu] = await say(fake, oa, "u1", "hộ tịch")
    assert "[1]" in menu["text"] and "gõ số để chọn" in menu["text"] and "<" not in menu["text"]
    [picked] = await say(fake, oa, "u1", "1")
    assert "trích lục" in picked["text"].lower()


async def test_unknown_question_queued_then_officer_answer_reaches_that_citizen_only(fake: FakeZaloOA,
                                                                                     oa: Served) -> None:
    [queued] = await say(fake, oa, "u2", "thủ tục nhận con nuôi")
    assert "#1" in queued["text"]
    await fake.wait_for_async(lambda m: m["user_id"] == OFFICER and "con nuôi" in m["text"])
    [refused] = await say(fake, oa, "u3", "/answer 1 không được")
    assert "chỉ dành cho cán bộ" in refused["text"]
    await say(fake, oa, OFFICER, "/answer 1 Cần xin phép Bộ Quốc phòng.")
    delivered = await fake.wait_for_async(lambda m: m["user_id"] == "u2" and "Bộ Quốc phòng" in m["text"])
    assert "#1" in delivered["text"]
    assert not any("Bộ Quốc phòng" in m["text"] for m in fake.messages_to("u3"))
    [mine] = await say(fake, oa, "u2", "/cauhoi")
    assert "#1" in mine["text"]


async def test_signature_checked_both_variants_accepted(fake: FakeZaloOA, oa: Served) -> None:
    event = fake.text_event("u4", "khai sinh")
    assert await post(fake, oa, event, signature="") == 403
    assert await post(fake, oa, event, signature="mac=" + "0" * 64) == 403
    assert await post(fake, oa, event, tamper=True) == 403
    old = fake.text_event("u4", "khai sinh", timestamp_ms=now_ms() - 3 * 3600 * 1000)
    assert await post(fake, oa, old) == 403  # past Zalo's retry span
    assert await post(fake, oa, fake.text_event("u4", "khai sinh"), stale=True) == 200  # a retry 1 h later
    assert await post(fake, oa, fake.text_event("u4", "khai tử"), variant="oa_id") == 200
    await fake.wait_for_async(lambda m: len(fake.messages_to("u4")) >= 2)
    assert oa.channel.state()["signature"] == ["app_id", "oa_id"]


async def test_same_event_three_times_is_answered_once(fake: FakeZaloOA, oa: Served) -> None:
    event = fake.text_event("u5", "khai sinh")
    for _ in range(3):
        assert await post(fake, oa, event) == 200
    await settle(oa)
    assert len(fake.messages_to("u5")) == 1


async def test_unsupported_and_follow(fake: FakeZaloOA, oa: Served) -> None:
    assert await post(fake, oa, fake.sticker_event("u6")) == 200
    reply = await fake.wait_for_async(lambda m: m["user_id"] == "u6")
    assert "gõ câu hỏi" in reply["text"]
    fake.user_wrote("u7")  # Zalo lets the OA write only to people who wrote within 7 days
    assert await post(fake, oa, fake.follow_event("u7")) == 200
    await fake.wait_for_async(lambda m: m["user_id"] == "u7")
    assert await post(fake, oa, fake.unfollow_event("u7")) == 200


async def test_a_person_writing_from_zalo_silences_the_bot(fake: FakeZaloOA, oa: Served) -> None:
    await say(fake, oa, "u8", "khai sinh")  # the bot's own echo below must not count as a person
    own = fake.messages_to("u8")[0]["message_id"]
    assert await post(fake, oa, fake.oa_echo_event("u8", "x", msg_id=own)) == 200
    await settle(oa)
    assert not await oa.channel.store.takeovers.taken_over("zalo_oa", "u8")
    assert await post(fake, oa, fake.oa_echo_event("u8", "Chào anh, tôi là cán bộ trực.")) == 200
    await settle(oa)
    assert await oa.channel.store.takeovers.taken_over("zalo_oa", "u8")
    assert await post(fake, oa, fake.text_event("u8", "khai tử")) == 200
    await settle(oa)
    assert len(fake.messages_to("u8")) == 1
    await say(fake, oa, OFFICER, "/queue")  # the officers see who is being answered by hand
    assert "trả lời trực tiếp 1 cuộc trò chuyện" in fake.messages_to(OFFICER)[-1]["text"]


def _hold_write_lock(db: Path, seconds: float, held: threading.Event) -> None:
    conn = sqlite3.connect(db, isolation_level=None, timeout=10)
    conn.execute("BEGIN IMMEDIATE")
    held.set()
    time.sleep(seconds)
    conn.execute("ROLLBACK")
    conn.close()


async def test_ack_within_two_seconds_while_the_database_is_busy(fake: FakeZaloOA, oa: Served,
                                                                 tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    held = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(db, 0.6, held))
    holder.start()
    assert await asyncio.to_thread(held.wait, 10)  # never block the loop: the bot may hold the lock
    t0 = time.monotonic()
    assert await post(fake, oa, fake.text_event("u9", "khai sinh")) == 200  # committed once the lock is free
    assert time.monotonic() - t0 < 2.0
    holder.join()
    held.clear()
    holder = threading.Thread(target=_hold_write_lock, args=(db, 4.0, held))
    holder.start()
    assert await asyncio.to_thread(held.wait, 10)  # never block the loop: the bot may hold the lock
    event = fake.text_event("u9", "khai tử")
    t0 = time.monotonic()
    assert await post(fake, oa, event) == 503  # Zalo will deliver it again
    assert time.monotonic() - t0 < 2.0
    await asyncio.to_thread(holder.join)
    assert await post(fake, oa, event) == 200
    await settle(oa)
    assert len(fake.messages_to("u9")) == 2


async def test_long_answer_arrives_in_order_in_parts(fake: FakeZaloOA, oa: Served) -> None:
    await say(fake, oa, "u10", "thủ tục nhận con nuôi")
    lines = [f"Dòng {i:03d}: hướng dẫn chi tiết về hồ sơ cần chuẩn bị." for i in range(100)]
    answer = "\n".join(lines)
    assert len(answer) > 5000
    await say(fake, oa, OFFICER, f"/answer 1 {answer}")
    await fake.wait_for_async(lambda m: m["user_id"] == "u10" and "Dòng 099" in m["text"], timeout=10)
    parts = [m["text"] for m in fake.messages_to("u10")[1:]]
    assert len(parts) >= 3 and all(len(p) <= 2000 for p in parts)
    text = "\n".join(parts)
    assert [text.index(line) for line in lines] == sorted(text.index(line) for line in lines)


async def test_healthz_shows_the_channel(fake: FakeZaloOA, oa: Served) -> None:
    import urllib.request

    url = oa.url.replace("/zalo/oa/webhook", "/healthz")
    body: Any = await asyncio.to_thread(lambda: json.load(urllib.request.urlopen(url, timeout=5)))
    assert body["channels"]["zalo_oa"]["mode"] == "webhook"


async def test_an_event_is_acknowledged_while_the_main_loop_is_blocked(fake: FakeZaloOA, oa: Served) -> None:
    """Zalo hears 200 without waiting for matching: the webhook is answered on a loop of its own."""
    acknowledged = threading.Event()
    statuses: list[int] = []

    def deliver() -> None:
        statuses.append(fake.post_event(oa.url, fake.text_event("u11", "khai sinh"))[0])
        acknowledged.set()

    poster = threading.Thread(target=deliver)
    poster.start()
    # The main loop runs nothing until the event is acknowledged (matching, rendering, the inbound worker
    # all wait): the acknowledgement cannot depend on it.
    assert acknowledged.wait(10), "the webhook waited for the main loop"
    poster.join()
    assert statuses == [200]
    assert fake.messages_to("u11") == []  # acknowledged before it was handled
    await settle(oa)  # the main loop free again: the stored event is handled once
    assert len(fake.messages_to("u11")) == 1
