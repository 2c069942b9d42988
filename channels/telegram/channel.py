"""The Telegram adapter: long polling that confirms updates only once handled, or the webhook route."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import Any

from starlette.routing import BaseRoute, Route
from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault, CallbackQuery, Update
from telegram.constants import ChatAction
from telegram.error import NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import AIORateLimiter, BaseRateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bot.kernel.events import BUTTON, Event
from bot.kernel.models import ADMIN, CITIZEN, STAFF, Progress, Reply
from bot.kernel.render import to_plain
from bot.store.sqlite import StorageUnavailable
from channels.base import ChannelContext, Polling, long_poll, until_stopped
from channels.telegram.events import CHANNEL, to_event
from channels.telegram.limiter import SharedRateLimiter, quiet_library_429s
from channels.telegram.sender import TelegramSender, retry_seconds
from channels.telegram.webhook import webhook_route

log = logging.getLogger(__name__)
POLL_TIMEOUT = 25  # seconds Telegram holds a getUpdates open when there is nothing new
TYPING_AFTER = 0.4  # seconds of work before "typing…" is shown: every chat action spends the rate budget
TYPING_BUSY = 8  # updates in hand above which "typing…" is skipped: under load the budget is the replies'
EDITS_IN_PLACE = ("cat", "cats", "q", "del")  # buttons whose reply replaces the pressed message (paging)


class _PressedSender:
    """A button's reply: a refusal as an alert on the button, paging in place, anything else as a message."""

    channel = CHANNEL

    def __init__(self, sender: TelegramSender, query: CallbackQuery, edit_id: str | None) -> None:
        self.sender, self.query, self.edit_id = sender, query, edit_id
        self.answered = False

    async def answer(self, text: str | None = None) -> None:
        """Stop the button's spinner (once), optionally with an alert."""
        if not self.answered:
            self.answered = True
            with contextlib.suppress(TelegramError):  # an expired query is not worth an error
                await self.query.answer(text, show_alert=text is not None)

    async def send(self, chat_id: str, reply: Reply, reply_to: str | None = None,
                   progress: Progress | None = None) -> str | None:
        """Alert, edit in place, or send."""
        if reply.alert:
            await self.answer(to_plain(reply.text)[:200])
            return None
        await self.answer()
        if self.edit_id and await self.sender.edit(chat_id, self.edit_id, reply):
            return self.edit_id
        return await self.sender.send(chat_id, reply, reply_to, progress)


class _Answering:
    """A sender that stops the pending "typing…" first: once the reply is ready, the rate budget is the reply's."""

    channel = CHANNEL

    def __init__(self, sender: _PressedSender | TelegramSender, typing: asyncio.Task[None]) -> None:
        self.sender, self.typing = sender, typing

    async def send(self, chat_id: str, reply: Reply, reply_to: str | None = None,
                   progress: Progress | None = None) -> str | None:
        """Cancel the typing indicator if it has not gone out yet, then send."""
        self.typing.cancel()
        return await self.sender.send(chat_id, reply, reply_to, progress)


class TelegramChannel:
    """Bot API updates to core events; replies back as Telegram HTML."""

    name = CHANNEL

    def __init__(self, context: ChannelContext, timeout: float = 10.0) -> None:
        self.context = context
        config = context.settings
        # Opt in to the library's coming time-period type (our code reads both): no deprecation warning per 429.
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        # No retries inside the limiter: a 429 for one chat goes back to the outbox with its own back-off
        # instead of holding up everybody else's replies.
        local = AIORateLimiter(overall_max_rate=30, overall_time_period=1, group_max_rate=20,
                               group_time_period=60, max_retries=0)
        quiet_library_429s()
        slots = context.send_slots  # processes sharing a database share the bot's one limit
        limiter: BaseRateLimiter[Any] = SharedRateLimiter(slots, local) if slots is not None else local
        # A pool wide enough for the delivery worker's parallel sends beside the long poll.
        request = HTTPXRequest(connection_pool_size=32, read_timeout=timeout, write_timeout=timeout,
                               connect_timeout=timeout, pool_timeout=timeout)
        self.bot: ExtBot[Any] = ExtBot(config.telegram_token, base_url=f"{config.telegram_api}/bot",
                                       rate_limiter=limiter, request=request)
        self.sender = TelegramSender(self.bot)
        self.mode = "webhook" if config.webhook_url else "polling"
        self.typing_after = TYPING_AFTER
        self.in_hand = 0  # updates being handled now
        self.status = "starting"
        self._offset: int | None = None  # the first update not yet confirmed to Telegram (long polling)

    def routes(self) -> list[BaseRoute]:
        """The webhook route, in webhook mode."""
        if self.mode != "webhook":
            return []
        endpoint = webhook_route(self.context.settings.webhook_secret, self.bot, self.handle)
        return [Route("/telegram/webhook", endpoint, methods=["POST"])]

    async def start(self) -> None:
        """Check the token, set the command menus, and point Telegram at the webhook (or clear it)."""
        await self.bot.initialize()
        await self._set_commands()
        config = self.context.settings
        if self.mode == "webhook":
            await self.bot.set_webhook(config.webhook_url, secret_token=config.webhook_secret,
                                       allowed_updates=Update.ALL_TYPES, max_connections=8)
        else:
            await self.bot.delete_webhook(drop_pending_updates=False)
        self.status = "ok"

    async def close(self) -> None:
        """Release the HTTP client."""
        with contextlib.suppress(Exception):
            await self.bot.shutdown()

    def state(self) -> dict[str, Any]:
        """Mode and status for /healthz."""
        return {"mode": self.mode, "status": self.status}

    async def _set_commands(self) -> None:
        """Per-scope menus from the router's table: citizens by default, more for officers."""
        def menu(role: str) -> list[BotCommand]:
            return [BotCommand(c.name, c.help) for c in self.context.commands(role)]

        def telegram_ids(ids: frozenset[str]) -> list[int]:
            return sorted(int(i.split(":", 1)[1]) for i in ids if i.startswith(f"{CHANNEL}:"))[:50]

        config = self.context.settings
        scopes: list[tuple[Any, list[BotCommand]]] = [(BotCommandScopeDefault(), menu(CITIZEN))]
        scopes += [(BotCommandScopeChat(uid), menu(ADMIN)) for uid in telegram_ids(frozenset(config.admin_chat_id))]
        scopes += [(BotCommandScopeChat(uid), menu(ADMIN)) for uid in telegram_ids(config.admin_ids)]
        scopes += [(BotCommandScopeChat(uid), menu(STAFF))
                   for uid in telegram_ids(config.staff_ids - config.admin_ids)]
        for scope, commands in scopes:
            try:
                await self.bot.set_my_commands(commands, scope=scope)
            except TelegramError as exc:  # e.g. an officer who never opened the bot: "chat not found"
                log.warning("could not set the %s command menu: %s", scope.type, exc)

    async def handle(self, update: Update) -> None:
        """One update through the core: returns once it is handled; the reply goes out in the background."""
        event = to_event(update, self.bot)
        if event is None:
            return
        pressed: _PressedSender | None = None
        if event.kind == BUTTON and update.callback_query is not None:
            edit = event.payload.split(":")[0] in EDITS_IN_PLACE
            pressed = _PressedSender(self.sender, update.callback_query, event.message_id if edit else None)
        busy = self.in_hand >= TYPING_BUSY
        typing = asyncio.create_task(self._typing_after(event)) if event.private and not busy else None
        sender: _PressedSender | TelegramSender = pressed or self.sender
        self.in_hand += 1
        reply = None
        try:
            reply = await self.context.submit(event, _Answering(sender, typing) if typing is not None else sender)
        finally:
            self.in_hand -= 1
            if typing is not None:
                typing.cancel()
            if pressed is not None and reply is None:  # a reply answers the button itself (maybe with an alert)
                await pressed.answer()

    async def _typing_after(self, event: Event) -> None:
        await asyncio.sleep(self.typing_after)
        with contextlib.suppress(TelegramError):  # cosmetic only
            await self.bot.send_chat_action(int(event.chat_id), ChatAction.TYPING)

    async def serve(self, stop: asyncio.Event) -> None:
        """Long polling until stopped (webhook mode: the HTTP server receives updates; just wait)."""
        if self.mode == "webhook":
            await stop.wait()
            return
        polling = Polling(CHANNEL, "Bot API", self._fetch, self._handle_all, self._report,
                          (RetryAfter, TimedOut, NetworkError), asked=_asked, standby=self._forget_offset,
                          redelivers=True)
        await long_poll(stop, polling, self.context.poll_lock)

    def _report(self, status: str) -> None:
        self.status = status

    def _forget_offset(self) -> None:
        """Whoever polls next starts from Telegram's unconfirmed updates."""
        self._offset = None

    async def _handle_all(self, updates: list[Update]) -> None:
        """Chats in parallel, each chat in order (the core serialises per chat); the next getUpdates, which
        confirms this batch to Telegram, is sent once all are handled (their effects stored), without waiting
        for the replies, which go out in the background. StorageUnavailable: nothing is confirmed, the batch
        comes again."""
        results = await asyncio.gather(*(self.handle(u) for u in updates), return_exceptions=True)
        for result in results:
            if isinstance(result, StorageUnavailable):
                raise result  # handled ones are skipped by their ids when the batch comes again
        for failure in (r for r in results if isinstance(r, BaseException)):
            log.error("an update could not be handled", exc_info=failure)
        self._offset = updates[-1].update_id + 1

    async def _fetch(self, stop: asyncio.Event) -> list[Update]:
        """One long poll, abandoned as soon as a stop is requested."""
        poll = self.bot.get_updates(offset=self._offset, timeout=POLL_TIMEOUT, allowed_updates=Update.ALL_TYPES)
        return list(await until_stopped(poll, stop, NetworkError) or [])


def _asked(exc: Exception) -> float | None:
    """The wait Telegram asked for (a 429), or None for a fault."""
    return retry_seconds(exc) if isinstance(exc, RetryAfter) else None
