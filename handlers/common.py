"""Typed accessors and reply helpers shared by the Telegram handlers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import ApplicationHandlerStop, ContextTypes, filters

from bot.guard import OK, WARN, FloodGuard
from bot.models import ADMIN, CITIZEN, STAFF, Reply, User
from bot.render import split_message
from bot.services import Services

log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
TYPING_AFTER = 0.4  # seconds of work before "typing…" is shown
Context = ContextTypes.DEFAULT_TYPE


def services(context: Context) -> Services:
    """The Services opened in post_init."""
    return context.application.bot_data["services"]


def flood_guard(context: Context) -> FloodGuard:
    """The per-user flood limit created in post_init."""
    return context.application.bot_data["flood"]


async def gate(update: Update, context: Context) -> None:
    """Before any handler: skip an update already processed before a crash, and hold back floods."""
    s = services(context)
    if await s.storage.update_state(update.update_id) == "replied":
        log.info("update %s was handled before a restart; not handled again", update.update_id)
        raise ApplicationHandlerStop
    sender, chat = update.effective_user, update.effective_chat
    if sender is None or sender.id in s.config.admin_ids | s.config.staff_ids:
        return
    verdict = flood_guard(context).check("telegram", sender.id)
    if verdict == OK:
        return
    if verdict == WARN and chat is not None and chat.type == ChatType.PRIVATE:
        await send_reply(update, context, Reply(s.renderer.message("rate_limited")))
    raise ApplicationHandlerStop


async def mark_done(update: Update, context: Context) -> None:
    """After every handler: remember the update, so a redelivery after a crash is skipped."""
    await services(context).storage.mark_processed(update.update_id)


def user_of(update: Update, context: Context) -> User:
    """Who sent this update, with a role from the configured ids (the admins' chat counts as admin)."""
    config = services(context).config
    sender, chat = update.effective_user, update.effective_chat
    user_id = sender.id if sender else 0
    chat_id = chat.id if chat else user_id
    # Membership of the admins' chat is itself the access control, so its members act as admins there.
    if user_id in config.admin_ids or (config.admin_chat_id is not None and chat_id == config.admin_chat_id):
        role = ADMIN
    else:
        role = STAFF if user_id in config.staff_ids else CITIZEN
    return User("telegram", user_id, chat_id, sender.full_name if sender else "", role)


def keyboard(buttons: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup | None:
    """Reply button rows as an inline keyboard, or None when there are none."""
    rows = [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in buttons if row]
    return InlineKeyboardMarkup(rows) if rows else None


async def _typing_after(bot: Bot, chat_id: int, delay: float) -> None:
    await asyncio.sleep(delay)
    try:
        await bot.send_chat_action(chat_id, ChatAction.TYPING)
    except TelegramError as exc:  # cosmetic only: never let it stop the real answer
        log.debug("chat action failed: %s", exc)


@contextlib.asynccontextmanager
async def typing(update: Update, context: Context, delay: float = TYPING_AFTER) -> AsyncIterator[None]:
    """Show "typing…" in a private chat while work takes longer than `delay` seconds.

    An instant answer needs no indicator, and every chat action spends the same Bot API rate budget
    as a message; groups are skipped to spare their tight limit.
    """
    chat = update.effective_chat
    task = None
    if chat is not None and chat.type == ChatType.PRIVATE:
        task = asyncio.create_task(_typing_after(context.bot, chat.id, delay))
    try:
        yield
    finally:
        if task is not None:
            task.cancel()


async def send_html(bot: Bot, chat_id: int, reply: Reply, reply_to: int | None = None) -> list[Message]:
    """Send a Reply as Telegram HTML, split at 4096 characters, buttons on the last part only."""
    parts = split_message(reply.text)
    markup = keyboard(reply.buttons)
    sent = []
    for i, part in enumerate(parts):
        quote = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to and i == 0 else None
        sent.append(await bot.send_message(
            chat_id, part, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW,
            reply_markup=markup if i == len(parts) - 1 else None, reply_parameters=quote))
    return sent


async def send_reply(update: Update, context: Context, reply: Reply) -> None:
    """Answer the update's chat; in groups the answer quotes the message it answers."""
    chat, message = update.effective_chat, update.effective_message
    if chat is None:
        return
    in_group = chat.type != ChatType.PRIVATE and message is not None and update.callback_query is None
    # Recorded before sending: a crash in between can cost this one reply (the effect is stored and
    # /cauhoi shows it) but can never make Telegram's redelivery send it twice.
    await services(context).storage.mark_processed(update.update_id)
    try:
        await send_html(context.bot, chat.id, reply, message.message_id if in_group and message else None)
    except (RetryAfter, TimedOut, NetworkError) as exc:
        if isinstance(exc, BadRequest):
            raise
        # Telegram is failing for now: the outbox worker retries with back-off, so the reply still
        # arrives and this handler does not hold up other chats.
        log.warning("reply to chat %s failed (%s); handed to the outbox", chat.id, exc)
        await services(context).storage.enqueue("telegram", chat.id, "reply", reply.text)
    wake_delivery(context)


async def edit_or_send(update: Update, context: Context, reply: Reply) -> None:
    """Replace the pressed message (paging) when the reply fits in one message, else send it."""
    query = update.callback_query
    parts = split_message(reply.text)
    if query is None or query.message is None or len(parts) > 1:
        await send_reply(update, context, reply)
        return
    try:
        await query.edit_message_text(parts[0], parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW,
                                      reply_markup=keyboard(reply.buttons))
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():  # pressing the current page again is harmless
            raise


async def answer_query(query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    """Stop the button's spinner; an expired query is not worth an error."""
    try:
        await query.answer(text, show_alert=alert)
    except BadRequest as exc:
        log.debug("callback answer failed: %s", exc)


def wake_delivery(context: Context) -> None:
    """Ask the delivery loop to run now rather than at its next tick."""
    event = context.application.bot_data.get("delivery_wake")
    if isinstance(event, asyncio.Event):
        event.set()


def without_mention(message: Message) -> str:
    """The message text with the bot's @username removed (group messages address the bot that way)."""
    text = message.text or ""
    username = message.get_bot().username
    return text.replace(f"@{username}", " ").strip() if username else text


class AddressedToBot(filters.MessageFilter):
    """Private messages, or group messages that mention the bot or reply to it."""

    def filter(self, message: Message) -> bool:
        """True when the bot should treat this message as meant for it."""
        if message.chat.type == ChatType.PRIVATE:
            return True
        bot = message.get_bot()
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
            return True
        if bot.username and f"@{bot.username.lower()}" in (message.text or "").lower():
            return True
        # A text mention (a tap on the bot's name) carries the user, not the @username.
        mentions = message.parse_entities([MessageEntity.TEXT_MENTION])
        return any(e.user is not None and e.user.id == bot.id for e in mentions)
