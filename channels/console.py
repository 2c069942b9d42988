"""The console channel: a terminal (or piped standard input) as one chat; buttons become numbered options."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable

from bot.core import Core
from bot.delivery import RetryLater, send_parts
from bot.events import MESSAGE, Event
from bot.models import Progress, Reply
from bot.render import plain_messages

CHANNEL = "console"
LIMIT = 4000
HINT = "(gõ số để chọn)"


class ConsoleSender:
    """Prints this console user's messages; messages owed to other console users wait for their session."""

    channel = CHANNEL

    def __init__(self, chat_id: str, out: Callable[[str], None]) -> None:
        self.chat_id, self.out = chat_id, out

    async def send(self, chat_id: str, reply: Reply, reply_to: str | None = None,
                   progress: Progress | None = None) -> str | None:
        """Print the reply's parts after `progress` as plain text with numbered options."""
        if chat_id != self.chat_id:  # another console user's message: it waits for their session, quietly
            raise RetryLater(60.0, "not this console's user", logging.DEBUG)

        async def one(i: int, part: str) -> None:
            self.out(part)

        return await send_parts(plain_messages(reply.text, reply.buttons, LIMIT, HINT), progress, one)


class ConsoleChannel:
    """Reads lines, one event each; the role is the one given on the command line (a local, trusted channel)."""

    name = CHANNEL

    def __init__(self, core: Core, role: str, user_id: str, name: str,
                 out: Callable[[str], None] | None = None) -> None:
        self.core, self.role, self.user_id, self.display = core, role, user_id, name
        self.out = out or (lambda text: print(text, flush=True))
        self.sender = ConsoleSender(user_id, self.out)

    def event(self, line: str) -> Event:
        """A typed line as a core event (numbers pick from the last numbered menu)."""
        return Event(CHANNEL, self.user_id, self.user_id, MESSAGE, text=line, name=self.display, buttons=False,
                     role=self.role)

    async def run(self, flush: Callable[[], Awaitable[object]], interactive: bool | None = None) -> None:
        """Chat until end of input; piped input gets replies only, no prompts; owed messages after each line."""
        interactive = sys.stdin.isatty() if interactive is None else interactive
        if interactive:
            await self.core.process(Event(CHANNEL, self.user_id, self.user_id, MESSAGE, text="/start",
                                          name=self.display, buttons=False, role=self.role), self.sender)
        await flush()
        while True:
            line = await asyncio.to_thread(_read_line, "> " if interactive else "")
            if line is None:
                break
            await self.core.process(self.event(line.strip()), self.sender)
            await flush()
            if interactive:
                self.out("")


def _read_line(prompt: str) -> str | None:
    try:
        return input(prompt)
    except EOFError:
        return None
