"""Two papibot processes on one PostgreSQL database take Zalo OA webhooks for the same citizens.

Each citizen's answers come in the order of their messages, each once, whichever process acknowledged
which message; a process that dies holding a citizen's events leaves them to the other.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from bot.store.channel_store import Inbound
from tests.fakezalo import FakeZaloOA
from tests.pgserver import PgServer
from tests.zalo_stack import OFFICER, Served, oa_config, oa_serving, post, settle

QUESTIONS = {  # question -> the title line its answer starts with
    "làm giấy khai sinh cho con cần gì": "Đăng ký khai sinh",
    "làm sổ đỏ lần đầu cần giấy tờ gì": "Cấp giấy chứng nhận quyền sử dụng đất lần đầu",
    "đăng ký kết hôn cần gì": "Đăng ký kết hôn",
    "đăng ký thường trú": "Đăng ký thường trú",
}


@pytest.fixture
def fake() -> Iterator[FakeZaloOA]:
    with FakeZaloOA() as oa:
        oa.user_wrote(OFFICER)
        yield oa


@pytest.fixture
async def pair(fake: FakeZaloOA, pg_server: PgServer, tmp_path: Path) -> AsyncIterator[list[Served]]:
    """Two processes' stacks, each with its own HTTP server, on one database."""
    url = pg_server.create_database()
    config = oa_config(fake, tmp_path, db_url=url)
    async with oa_serving(config) as one, oa_serving(config) as two:
        yield [one, two]
    pg_server.drop_database(url)


def answers(fake: FakeZaloOA, user: str) -> list[str]:
    """The titles of the answers a citizen received, in the order received."""
    text = "\n".join(m["text"] for m in fake.messages_to(user))
    found = [(m.start(), title) for title in QUESTIONS.values()
             for m in re.finditer(rf"^{re.escape(title)}(:|$)", text, re.M)]
    return [title for _, title in sorted(found)]


async def wait_answers(fake: FakeZaloOA, user: str, count: int) -> list[str]:
    """The titles once `count` answers reached the citizen (or what came within the time allowed)."""
    for _ in range(300):
        if len(answers(fake, user)) >= count:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # anything answered twice would arrive now
    return answers(fake, user)


async def test_each_citizen_answered_in_order_once_across_processes(fake: FakeZaloOA, pair: list[Served]) -> None:
    users = ["u1", "u2", "u3"]
    for n, question in enumerate(QUESTIONS):
        for k, user in enumerate(users):  # each citizen's messages alternate between the two processes
            assert await post(fake, pair[(n + k) % 2], fake.text_event(user, question)) == 200
    for user in users:
        assert await wait_answers(fake, user, len(QUESTIONS)) == list(QUESTIONS.values())


def _block(served: Served, user: str, entered: asyncio.Event, release: asyncio.Event) -> None:
    """This process hangs in the middle of `user`'s first event (the others are handled as usual)."""
    inbound = served.channel.inbound
    handle = inbound.handle

    async def hanging(stored: Inbound) -> Any:
        if stored.user_id == user:
            entered.set()
            await release.wait()
            raise ConnectionError("the process is gone")
        return await handle(stored)

    inbound.handle = hanging


def _kill(served: Served) -> None:
    """Every database connection of the process drops at once, as when it is killed."""
    cast(Any, served.stack.services.storage.database).terminate()


async def test_a_process_dying_mid_event_leaves_its_citizen_to_the_other(fake: FakeZaloOA,
                                                                          pair: list[Served]) -> None:
    dying, survivor = pair
    entered, release = asyncio.Event(), asyncio.Event()
    _block(dying, "u9", entered, release)
    questions = list(QUESTIONS)
    assert await post(fake, dying, fake.text_event("u9", questions[0])) == 200
    await asyncio.wait_for(entered.wait(), 10)
    for n, question in enumerate(questions[1:]):
        assert await post(fake, [survivor, dying][n % 2], fake.text_event("u9", question)) == 200
    await asyncio.sleep(1.5)  # the survivor polled meanwhile: it must not answer ahead of the first message
    assert answers(fake, "u9") == []
    _kill(dying)
    try:
        assert await wait_answers(fake, "u9", len(QUESTIONS)) == list(QUESTIONS.values())
        await settle(survivor)
        assert await survivor.channel.store.inbound.counts("zalo_oa") == {"done": len(QUESTIONS)}
    finally:
        release.set()
