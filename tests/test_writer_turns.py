"""SQLite's one writer: a webhook's events being acknowledged go before the writes queued for it, and a write
that gives up waiting never leaves the writer stuck."""

from __future__ import annotations

import asyncio

from bot.store.turns import WriterTurns


async def _write(turns: WriterTurns, name: str, done: list[str], urgent: bool = False) -> None:
    async with turns.turn(urgent):
        await asyncio.sleep(0)
        done.append(name)


async def test_an_acknowledgement_goes_before_the_writes_already_waiting() -> None:
    turns, done = WriterTurns(), []
    async with turns.turn():  # a citizen's write in progress
        queued = [asyncio.create_task(_write(turns, f"citizen {n}", done)) for n in range(3)]
        await asyncio.sleep(0)
        ack = asyncio.create_task(_write(turns, "webhook", done, urgent=True))
        await asyncio.sleep(0)
    await asyncio.gather(*queued, ack)
    assert done == ["webhook", "citizen 0", "citizen 1", "citizen 2"]


async def test_a_write_that_gives_up_waiting_does_not_hold_the_writer() -> None:
    turns, done = WriterTurns(), []
    async with turns.turn():
        gave_up = asyncio.create_task(_write(turns, "gave up", done))
        later = asyncio.create_task(_write(turns, "later", done))
        await asyncio.sleep(0)
        gave_up.cancel()
    await asyncio.wait_for(later, 1)
    assert done == ["later"]
    async with asyncio.timeout(1), turns.turn():  # free again
        pass


async def test_a_write_cancelled_just_as_its_turn_came_passes_the_turn_on() -> None:
    turns, done = WriterTurns(), []
    holder = turns.turn()
    await holder.__aenter__()
    first = asyncio.create_task(_write(turns, "first", done))
    second = asyncio.create_task(_write(turns, "second", done))
    await asyncio.sleep(0)
    await holder.__aexit__(None, None, None)  # the turn is handed to `first`...
    first.cancel()  # ...which gives up before it runs
    await asyncio.wait_for(second, 1)
    assert done == ["second"]
