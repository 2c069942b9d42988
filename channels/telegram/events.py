"""Telegram updates as core events."""

from __future__ import annotations

from telegram import Bot, Message, MessageEntity, Update
from telegram.constants import ChatType

from bot.kernel.events import BUTTON, MESSAGE, UNSUPPORTED, Event

CHANNEL = "telegram"


def _addressed(message: Message, bot: Bot) -> bool:
    """Private messages, or group messages that mention the bot or reply to it."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
        return True
    if bot.username and f"@{bot.username.lower()}" in (message.text or "").lower():
        return True
    mentions = message.parse_entities([MessageEntity.TEXT_MENTION])  # a tap on the bot's name
    return any(e.user is not None and e.user.id == bot.id for e in mentions)


def _without_mention(text: str, bot: Bot) -> str:
    return text.replace(f"@{bot.username}", " ").strip() if bot.username else text


def to_event(update: Update, bot: Bot) -> Event | None:
    """The core event for an update, or None for kinds papibot ignores (edits, member changes...)."""
    uid = str(update.update_id)
    query = update.callback_query
    if query is not None:
        chat = query.message.chat if query.message else None
        return Event(CHANNEL, str(query.from_user.id), str(chat.id if chat else query.from_user.id), BUTTON,
                     payload=query.data or "", update_id=uid, name=query.from_user.full_name,
                     private=chat is None or chat.type == ChatType.PRIVATE,
                     message_id=str(query.message.message_id) if query.message else None)
    message = update.message  # edits of old messages are not new questions
    if message is None or message.from_user is None:
        return None
    sender, chat = message.from_user, message.chat
    private = chat.type == ChatType.PRIVATE
    base = {"update_id": uid, "name": sender.full_name, "private": private, "message_id": str(message.message_id)}
    if message.text is None:
        return Event(CHANNEL, str(sender.id), str(chat.id), UNSUPPORTED, **base)  # type: ignore[arg-type]
    replied = message.reply_to_message
    from_bot = replied is not None and replied.from_user is not None and replied.from_user.id == bot.id
    return Event(CHANNEL, str(sender.id), str(chat.id), MESSAGE, text=_without_mention(message.text, bot),
                 addressed=_addressed(message, bot),
                 reply_to_id=str(replied.message_id) if replied is not None and from_bot else None,
                 reply_to_text=(replied.text or "") if replied is not None and from_bot else "",
                 **base)  # type: ignore[arg-type]
