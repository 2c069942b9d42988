"""Officers hear once of each dated change that passed while its topic was not checked again: remembered in the
database, so a second call, a restart or another process does not repeat it (SQLite and PostgreSQL)."""

from __future__ import annotations

from bot.kernel.models import Reply
from tests.conftest import deliver_due
from tests.pinned import AFTER, BEFORE, opened

BOTH_BACKENDS = True
OFFICERS = "telegram:-100777"
__all__ = ["opened"]  # the fixture


async def test_officers_hear_of_a_passed_change_once_even_across_restarts(opened) -> None:
    assert await (await opened(BEFORE, admin_chat_id=OFFICERS)).dated_changes() == 0
    first = await opened(AFTER, admin_chat_id=OFFICERS)
    assert await first.dated_changes() == 2  # can-cuoc and ho-ngheo
    assert await first.dated_changes() == 0
    restarted = await opened(AFTER, admin_chat_id=OFFICERS)  # a new process on the same database
    assert await restarted.dated_changes() == 0
    received: list[tuple[str, str]] = []

    async def send(chat_id: str, reply: Reply) -> None:
        received.append((chat_id, reply.text))

    while await deliver_due(restarted.storage, "telegram", send):  # one message per chat at a time, in order
        pass
    assert len(received) == 2
    notice = next(text for _, text in received if "can-cuoc" in text)
    assert {chat for chat, _ in received} == {"-100777"}
    assert "Cấp, cấp đổi, cấp lại thẻ căn cước" in notice and "01/01/2027" in notice and "verified" in notice


async def test_without_an_officers_destination_nothing_is_recorded(opened) -> None:
    lonely = await opened(AFTER)
    assert await lonely.dated_changes() == 0
    told = await opened(AFTER, admin_chat_id=OFFICERS)
    assert await told.dated_changes() == 2  # told once a destination is configured
