"""Admin handlers: the reply queue, answering (by command, button or reply), closing and promoting."""

from __future__ import annotations

import logging
import re

from telegram import ForceReply, Message, ReplyParameters, Update
from telegram.constants import ParseMode

from handlers.common import Context, answer_query, edit_or_send, send_reply, services, user_of

log = logging.getLogger(__name__)
QUEUE_PAGE = r"^q:(\d{1,4})$"
ANSWER_BUTTON = r"^ans:(\d{1,10})$"
# The answer prompt and the ticket post as Telegram stores them (tags stripped): their number names the ticket
# when the post is not yet (or no longer) recorded against its message id.
PROMPT = re.compile(r"^(?:Trả lời câu hỏi|Câu hỏi mới) #(\d{1,10})\b")


def _rest(message: Message | None) -> str:
    """Everything after the /command, newlines kept (answers are often several paragraphs)."""
    text = message.text if message and message.text else ""
    parts = text.split(None, 1)
    return parts[1] if len(parts) > 1 else ""


def _number_and_text(message: Message | None) -> tuple[str, str]:
    parts = [*_rest(message).split(None, 1), "", ""]
    return parts[0], parts[1]


async def queue(update: Update, context: Context) -> None:
    """/queue [page]: pending tickets, oldest first."""
    arg = (context.args or [""])[0]
    page = int(arg) - 1 if arg.isdigit() and len(arg) < 5 else 0
    await send_reply(update, context, await services(context).admin.queue(user_of(update, context), page))


async def queue_page(update: Update, context: Context) -> None:
    """q:<page>: another page of the queue, in place."""
    await answer_query(update.callback_query)
    reply = await services(context).admin.queue(user_of(update, context), int(context.match[1]))
    await edit_or_send(update, context, reply)


async def answer(update: Update, context: Context) -> None:
    """/answer N text: answer a ticket; the answer is delivered by the outbox."""
    number, text = _number_and_text(update.effective_message)
    await send_reply(update, context, await services(context).admin.answer(user_of(update, context), number, text,
                                                                      update.update_id))


async def close(update: Update, context: Context) -> None:
    """/close N [reason]: close spam or duplicates."""
    number, reason = _number_and_text(update.effective_message)
    await send_reply(update, context, await services(context).admin.close(user_of(update, context), number, reason,
                                                                     update.update_id))


async def promote(update: Update, context: Context) -> None:
    """/promote N [topic-id]: turn an answered ticket into knowledge."""
    reply = await services(context).admin.promote(user_of(update, context), " ".join(context.args or []))
    await send_reply(update, context, reply)


async def answer_button(update: Update, context: Context) -> None:
    """ans:<ticket>: ask the admin, with a ForceReply, to reply with the answer text."""
    query = update.callback_query
    await answer_query(query)
    if query.message is None:
        return
    s = services(context)
    prompt = s.renderer.render("tg_notice.html", kind="answer_prompt", number=int(context.match[1]))
    await context.bot.send_message(
        query.message.chat.id, prompt, parse_mode=ParseMode.HTML,
        reply_parameters=ReplyParameters(query.message.message_id),
        reply_markup=ForceReply(input_field_placeholder=f"Trả lời câu hỏi #{context.match[1]}"))


async def reply_to_post(update: Update, context: Context) -> None:
    """A reply, in the admins' chat, to a ticket post or to the answer prompt answers that ticket."""
    message = update.effective_message
    replied = message.reply_to_message if message else None
    if message is None or replied is None or not message.text:
        return
    if replied.from_user is None or replied.from_user.id != context.bot.id:
        return  # officers replying to each other
    s = services(context)
    ticket = await s.storage.ticket_by_admin_message(replied.message_id)
    prompt = PROMPT.match(replied.text or "")
    number = str(ticket.id) if ticket else prompt[1] if prompt else None
    if number is None:
        return  # ordinary conversation among officers
    reply = await s.admin.answer(user_of(update, context), number, message.text, update.update_id)
    await send_reply(update, context, reply)
