"""Replies as Telegram HTML: split within 4,096 UTF-16 units, buttons on the last part, errors mapped."""

from __future__ import annotations

import datetime as dt
import warnings

from telegram import Bot, ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.warnings import PTBDeprecationWarning

from bot.engine.delivery import RetryLater, Uncertain, Undeliverable, send_parts
from bot.kernel.models import Buttons, Progress, Reply
from bot.kernel.render import split_message

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def keyboard(buttons: Buttons) -> InlineKeyboardMarkup | None:
    """Reply button rows as an inline keyboard, or None when there are none."""
    rows = [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in buttons if row]
    return InlineKeyboardMarkup(rows) if rows else None


def retry_seconds(exc: RetryAfter) -> float:
    """How long Telegram asks us to wait, whichever type this library version gives it in."""
    with warnings.catch_warnings():  # reading it as seconds is what the deprecation asks us to stop relying on
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = exc.retry_after
    return wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)


class TelegramSender:
    """Sends core replies through the Bot API."""

    channel = "telegram"

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: str, reply: Reply, reply_to: str | None = None,
                   progress: Progress | None = None) -> str | None:
        """Send a reply's parts after `progress`; Telegram's errors become Undeliverable / RetryLater / Uncertain."""
        try:
            return await self._send(chat_id, reply, reply_to, progress)
        except Forbidden as exc:
            raise Undeliverable(str(exc)) from exc
        except BadRequest as exc:  # a request Telegram will never accept (chat gone, bad markup)
            raise Undeliverable(str(exc)) from exc
        except RetryAfter as exc:
            raise RetryLater(retry_seconds(exc)) from exc
        except TimedOut as exc:
            raise Uncertain(str(exc) or "timed out") from exc
        except NetworkError:
            raise

    async def _send(self, chat_id: str, reply: Reply, reply_to: str | None, progress: Progress | None) -> str | None:
        parts = split_message(reply.text, utf16=True)
        if reply.prompt:  # an officer answers by replying to this prompt
            markup: InlineKeyboardMarkup | ForceReply | None = ForceReply(input_field_placeholder=reply.prompt)
        else:
            markup = keyboard(reply.buttons)

        async def one(i: int, part: str) -> str:
            quote = ReplyParameters(int(reply_to), allow_sending_without_reply=True) if reply_to and i == 0 else None
            message = await self.bot.send_message(
                int(chat_id), part, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW,
                reply_markup=markup if i == len(parts) - 1 else None, reply_parameters=quote)
            return str(message.message_id)

        return await send_parts(parts, progress, one)

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> bool:
        """Replace a message in place (paging); False when the reply does not fit in one message."""
        parts = split_message(reply.text, utf16=True)
        if len(parts) > 1:
            return False
        try:
            await self.bot.edit_message_text(parts[0], chat_id=int(chat_id), message_id=int(message_id),
                                             parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW,
                                             reply_markup=keyboard(reply.buttons))
        except BadRequest as exc:
            return "not modified" in str(exc).lower()  # pressing the current page again is harmless
        return True
