"""The console channel: a terminal (or piped standard input) as one chat; buttons become numbered options."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable

from bot.engine.delivery import RetryLater, send_parts
from bot.kernel.events import MESSAGE, Event
from bot.kernel.models import Progress, Reply
from bot.kernel.render import plain_messages
from channels.base import Submit

CHANNEL = "console"
LIMIT = 4000
HINT = "(gõ số để chọn)"
DELIVERY_POLL = 1.0  # seconds between two looks at the outbox while the console waits for a line


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
    """Reads lines, one event each; the role is the one given on the command line (a local, trusted channel).
    Each event is handed to `submit`, which returns once its reply is sent."""

    name = CHANNEL

    def __init__(self, submit: Submit, role: str, user_id: str, name: str,
                 out: Callable[[str], None] | None = None) -> None:
        self.submit, self.role, self.user_id, self.display = submit, role, user_id, name
        self.out = out or (lambda text: print(text, flush=True))
        self.sender = ConsoleSender(user_id, self._show)
        self._prompt = ""  # the prompt on screen while a line is awaited ("" when none is)
        self._interrupted = False  # a message was printed over the prompt: show it again

    def event(self, line: str) -> Event:
        """A typed line as a core event (numbers pick from the last numbered menu)."""
        return Event(CHANNEL, self.user_id, self.user_id, MESSAGE, text=line, name=self.display, buttons=False,
                     role=self.role)

    async def run(self, flush: Callable[[], Awaitable[object]], interactive: bool | None = None,
                  every: float = DELIVERY_POLL) -> None:
        """Chat until end of input; piped input gets replies only, no prompts; owed messages after each line
        and, every `every` seconds, while a line is awaited (an officer's answer appears as it arrives)."""
        interactive = stdin_is_terminal() if interactive is None else interactive
        if interactive:
            await self.submit(Event(CHANNEL, self.user_id, self.user_id, MESSAGE, text="/start",
                                          name=self.display, buttons=False, role=self.role), self.sender)
        await flush()
        while True:
            line = await self._read(flush, "> " if interactive else "", every)
            if line is None:
                break
            await self.submit(self.event(line.strip()), self.sender)
            await flush()
            if interactive:
                self.out("")

    async def _read(self, flush: Callable[[], Awaitable[object]], prompt: str, every: float) -> str | None:
        """The next line; what is delivered meanwhile is printed above a fresh prompt."""
        reading = asyncio.ensure_future(asyncio.to_thread(_read_line, prompt))
        self._prompt = prompt
        try:
            while not (await asyncio.wait({reading}, timeout=every))[0]:
                await flush()
                if self._interrupted and self._prompt:
                    print(self._prompt, end="", flush=True)
                self._interrupted = False
            return reading.result()
        finally:
            self._prompt = ""

    def _show(self, text: str) -> None:
        """Print a message; over a waiting prompt, on a line of its own first."""
        if self._prompt and not self._interrupted:
            self.out("")
        self._interrupted = bool(self._prompt)
        self.out(text)


def stdin_is_terminal() -> bool:
    """True when standard input is a terminal (not closed, not a pipe, not /dev/null)."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):  # closed
        return False


def _read_line(prompt: str) -> str | None:
    try:
        return input(prompt)
    except EOFError:
        return None
