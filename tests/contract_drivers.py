"""Drivers for the channel contract suite: the same conversation, typed into each channel as its users would.

A driver speaks for people identified by a small number (7 is an admin, 8 staff, anyone else a citizen),
returns what that person saw (plain text), presses buttons by label (or types the option's number on
channels without buttons), and runs the delivery worker.
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from typing import Any

from telegram import Update

from bot.engine.delivery import wait_delivered
from bot.kernel.events import MESSAGE, Event
from bot.kernel.menus import MAX_OPTIONS, MORE_LABEL
from bot.kernel.models import ADMIN, CITIZEN, STAFF, Progress, Reply
from bot.kernel.render import plain_messages, to_plain
from bot.store.outbox import CITIZEN_LANE, OFFICER_LANE
from tests.fakebotapi import FakeBotAPI
from tests.stack import Stack

ADMIN_ID, STAFF_ID = 7, 8
_OPTION = re.compile(r"^\[(\d+)\] (.*)$", re.M)


class TelegramDriver:
    """Updates injected into the fake Bot API and handed to the real adapter; output read back from the fake."""

    name = "telegram"

    def __init__(self, stack: Stack, fake: FakeBotAPI) -> None:
        self.stack, self.fake = stack, fake

    def _seen(self, who: int) -> int:
        return len(self.fake.sent(who)) + len(self.fake.edits) + len(self.fake.callback_answers)

    def _since(self, who: int, mark: tuple[int, int, int]) -> str:
        messages = self.fake.sent(who)[mark[0]:] + [e for e in self.fake.edits[mark[1]:] if e["chat_id"] == who]
        texts = [(m["text"] or "") + _labels(m) for m in messages]
        texts += [a["text"] or "" for a in self.fake.callback_answers[mark[2]:]]
        return to_plain("\n".join(texts))

    async def _feed(self, update_id: int) -> None:
        raw = next(u for u in self.fake.pending_updates() if u["update_id"] == update_id)
        await self.stack.channel.handle(Update.de_json(raw, self.stack.channel.bot))
        await self.stack.core.drain()  # the reply goes out in the background

    def _mark(self, who: int) -> tuple[int, int, int]:
        return len(self.fake.sent(who)), len(self.fake.edits), len(self.fake.callback_answers)

    async def say(self, who: int, text: str) -> str:
        """Send a private message; return what came back."""
        mark = self._mark(who)
        await self._feed(self.fake.inject_message(who, text))
        return self._since(who, mark)

    async def press(self, who: int, label: str) -> str:
        """Press the newest button whose label contains `label`."""
        for message in reversed(self.fake.sent(who) + [e for e in self.fake.edits if e["chat_id"] == who]):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if label in button["text"]:
                        return await self.press_data(who, button["callback_data"], message["message_id"])
        raise AssertionError(f"no button {label!r} shown to {who}")

    async def press_data(self, who: int, data: str, message_id: int | None = None) -> str:
        """Press a button with exactly this data (forged data included)."""
        mark = self._mark(who)
        message_id = message_id or self.fake.sent(who)[-1]["message_id"]
        await self._feed(self.fake.inject_callback(who, data, message_id))
        return self._since(who, mark)

    async def deliver(self) -> None:
        """Run the delivery worker once over both lanes."""
        await self.stack.worker.run_once(CITIZEN_LANE)
        await self.stack.worker.run_once(OFFICER_LANE)

    def inbox(self, who: int) -> str:
        """Everything this chat received."""
        return to_plain("\n".join(m["text"] for m in self.fake.sent(who)))


def _labels(message: dict[str, Any]) -> str:
    """The message's buttons as "[·] label" lines, as a person sees them under the text."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return "".join(f"\n[·] {button['text']}" for row in rows for button in row)


class RecordingPlainSender:
    """A text-only channel's sender: plain text with numbered options, recorded per chat."""

    def __init__(self, channel: str, limit: int = 2000) -> None:
        self.channel, self.limit = channel, limit
        self.out: dict[str, list[str]] = defaultdict(list)

    async def send(self, chat_id: str, reply: Reply, reply_to: str | None = None,
                   progress: Progress | None = None) -> str | None:
        """Record the plain-text parts."""
        self.out[chat_id].extend(plain_messages(reply.text, reply.buttons, self.limit, "(gõ số để chọn)"))
        return None


class _NumberedOptions:
    """Channels without buttons: a button is pressed by typing the number of its option."""

    def _texts(self, who: int) -> list[str]:
        raise NotImplementedError

    async def say(self, who: int, text: str) -> str:
        raise NotImplementedError

    async def press(self, who: int, label: str) -> str:
        """Type the number of the option whose label contains `label` in the newest menu, through «Xem thêm»
        when it is behind it, as a person would."""
        menu = next((found for part in reversed(self._texts(who)) if (found := _OPTION.findall(part))), [])
        assert 0 < len(menu) <= MAX_OPTIONS, f"{len(menu)} options shown to {who}"
        hits = [n for n, text in menu if label in text]
        if hits:
            return await self.say(who, hits[0])
        more = [n for n, text in menu if text == MORE_LABEL]
        assert more, f"no option {label!r} shown to {who}"
        await self.say(who, more[0])
        return await self.press(who, label)


class ConsoleDriver(_NumberedOptions):
    """Lines typed into the console channel (its role is stated locally, as `papibot chat --as` does)."""

    name = "console"

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.sender: Any = stack.channel.sender

    def _role(self, who: int) -> str:
        return ADMIN if who == ADMIN_ID else STAFF if who == STAFF_ID else CITIZEN

    async def say(self, who: int, text: str) -> str:
        """Type a line; return what came back."""
        before = len(self.sender.out[str(who)])
        event = Event("console", str(who), str(who), MESSAGE, text=text, name=f"Người {who}", buttons=False,
                      role=self._role(who))
        await self.stack.core.process(event, self.sender)
        return "\n".join(self.sender.out[str(who)][before:])

    def _texts(self, who: int) -> list[str]:
        return list(self.sender.out[str(who)])

    async def deliver(self) -> None:
        """Run the delivery worker once over both lanes."""
        await self.stack.worker.run_once(CITIZEN_LANE)
        await self.stack.worker.run_once(OFFICER_LANE)

    def inbox(self, who: int) -> str:
        """Everything this console user saw."""
        return "\n".join(self.sender.out[str(who)])


class _TextOnlyDriver(_NumberedOptions):
    """Shared by the Zalo drivers: replies are plain text with numbered options, read back from a fake."""

    def __init__(self, stack: Stack, fake: Any) -> None:
        self.stack, self.fake = stack, fake

    def _texts(self, who: int) -> list[str]:
        return [str(m["text"]) for m in self.fake.messages_to(str(who))]

    async def _deliver_event(self, who: int, text: str) -> None:
        raise NotImplementedError

    async def say(self, who: int, text: str) -> str:
        """Send a message through the platform's webhook; return what came back once it settles."""
        before = len(self._texts(who))
        await self._deliver_event(who, text)
        await self.fake.wait_for_async(lambda m: len(self._texts(who)) > before, timeout=10)
        seen = -1
        while seen != len(self._texts(who)):  # long replies come in several parts
            seen = len(self._texts(who))
            await asyncio.sleep(0.15)
        return "\n".join(self._texts(who)[before:])

    async def deliver(self) -> None:
        """Until the delivery worker (this one or the stack's own) has sent what is owed."""
        await self.stack.worker.run_once(CITIZEN_LANE)
        assert await wait_delivered(self.stack.services.storage), "the outbox still holds messages"

    def inbox(self, who: int) -> str:
        """Everything this citizen received."""
        return "\n".join(self._texts(who))


class ZaloOADriver(_TextOnlyDriver):
    """Signed events posted to the real OA webhook; replies read back from the fake Open API."""

    name = "zalo_oa"

    def __init__(self, stack: Stack, fake: Any, url: str) -> None:
        super().__init__(stack, fake)
        self.url = url

    async def _deliver_event(self, who: int, text: str) -> None:
        status, _ = await asyncio.to_thread(self.fake.post_event, self.url, self.fake.text_event(str(who), text))
        assert status == 200


class ZaloBotDriver(_TextOnlyDriver):
    """Updates long-polled from the fake Bot Platform by the real adapter."""

    name = "zalo_bot"

    async def _deliver_event(self, who: int, text: str) -> None:
        self.fake.push_text(str(who), text)
