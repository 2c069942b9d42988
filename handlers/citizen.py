"""Citizen handlers: welcome, the procedure catalogue, free-text questions, buttons, own tickets, erasure."""

from __future__ import annotations

import logging
import re

from telegram import Update

from bot.models import Reply, User
from bot.services import Services
from handlers.common import (
    Context,
    answer_query,
    edit_or_send,
    send_reply,
    services,
    typing,
    user_of,
    without_mention,
)

log = logging.getLogger(__name__)
PAGE = 6  # topics per catalogue page: keeps the keyboard on one phone screen
# Strict shapes of every citizen button; anything else is answered by the catch-all as forged.
SUGGESTION = r"^sug:(\d{1,10}):([a-z0-9-]{1,48})$"
ESCALATE = r"^esc:(\d{1,10})$"
FEEDBACK = r"^fb:(\d{1,10}):([yn])$"
DELETE = r"^del:(yes|no)$"
CATEGORY = r"^cat:(\d{1,3}):(\d{1,3})$"
TOPIC = r"^tt:([a-z0-9-]{1,48})$"
CATEGORIES = r"^cats$"
PAYLOAD = re.compile(r"^[a-z0-9-]{1,48}$")


# Commands


async def start(update: Update, context: Context) -> None:
    """/start, or /start <topic-id> from a deep link: the welcome, or that topic's answer."""
    s, user = services(context), user_of(update, context)
    payload = context.args[0].lower() if context.args else ""
    if PAYLOAD.match(payload) and s.brain.kb.topic(payload):
        await send_reply(update, context, await answer_topic(s, user, payload))
        return
    await send_reply(update, context, Reply(s.renderer.render("welcome.html", role=user.role)))


async def help_command(update: Update, context: Context) -> None:
    """/help: the welcome with the commands this user may use."""
    s = services(context)
    await send_reply(update, context, Reply(s.renderer.render("welcome.html", role=user_of(update, context).role)))


async def catalogue(update: Update, context: Context) -> None:
    """/thutuc: every procedure, with one button per category."""
    await send_reply(update, context, _catalogue(services(context)))


async def my_tickets(update: Update, context: Context) -> None:
    """/cauhoi: the citizen's tickets."""
    await send_reply(update, context, await services(context).citizen.my_tickets(user_of(update, context)))


async def follow(update: Update, context: Context) -> None:
    """/theodoi N: one of the citizen's tickets."""
    reply = await services(context).citizen.follow(user_of(update, context), " ".join(context.args or []))
    await send_reply(update, context, reply)


async def delete_data(update: Update, context: Context) -> None:
    """/xoadulieu: ask for confirmation before erasing."""
    await send_reply(update, context, services(context).citizen.confirm_delete())


async def ask(update: Update, context: Context) -> None:
    """Free text: answer, suggest or queue it."""
    message, s = update.effective_message, services(context)
    if message is None or not message.text:
        return
    async with typing(update, context):
        reply = await s.citizen.ask(user_of(update, context), without_mention(message), update.update_id)
    await send_reply(update, context, reply)


# Buttons


async def suggestion(update: Update, context: Context) -> None:
    """sug:<question>:<topic>: the citizen picked a suggested topic."""
    query, match = update.callback_query, context.match
    await answer_query(query)
    reply = await services(context).citizen.pick_suggestion(user_of(update, context), int(match[1]), match[2])
    await send_reply(update, context, reply)


async def escalate(update: Update, context: Context) -> None:
    """esc:<question>: send the question to an officer."""
    await answer_query(update.callback_query)
    reply = await services(context).citizen.escalate(user_of(update, context), int(context.match[1]))
    await send_reply(update, context, reply)


async def feedback(update: Update, context: Context) -> None:
    """fb:<question>:y|n: rate a bot answer."""
    await answer_query(update.callback_query)
    match = context.match
    reply = await services(context).citizen.rate(user_of(update, context), int(match[1]), match[2] == "y")
    await send_reply(update, context, reply)


async def confirm_delete(update: Update, context: Context) -> None:
    """del:yes|no: erase (or keep) the citizen's data."""
    await answer_query(update.callback_query)
    reply = await services(context).citizen.delete_data(user_of(update, context), context.match[1] == "yes")
    await edit_or_send(update, context, reply)


async def category(update: Update, context: Context) -> None:
    """cat:<n>:<page>: one page of a category's topics."""
    await answer_query(update.callback_query)
    await edit_or_send(update, context, _category(services(context), int(context.match[1]), int(context.match[2])))


async def categories(update: Update, context: Context) -> None:
    """cats: back to the category list."""
    await answer_query(update.callback_query)
    await edit_or_send(update, context, _catalogue(services(context)))


async def topic(update: Update, context: Context) -> None:
    """tt:<topic>: the answer of a topic picked from the catalogue."""
    await answer_query(update.callback_query)
    await send_reply(update, context, await answer_topic(services(context), user_of(update, context), context.match[1]))


# Presentation of the catalogue (no business logic: the topics come from the knowledge base)


def _categories(s: Services) -> list[str]:
    return list(dict.fromkeys(t.category for t in s.brain.kb.topics))


def _catalogue(s: Services) -> Reply:
    rows = [[(name, f"cat:{i}:0")] for i, name in enumerate(_categories(s))]
    return Reply(s.renderer.render("catalogue.html", topics=s.brain.kb.topics), rows)


def _category(s: Services, index: int, page: int) -> Reply:
    names = _categories(s)
    if index >= len(names):
        return _catalogue(s)  # the knowledge changed since the keyboard was sent
    topics = [t for t in s.brain.kb.topics if t.category == names[index]]
    pages = -(-len(topics) // PAGE)
    page = min(page, pages - 1)
    rows = [[(t.title, f"tt:{t.id}")] for t in topics[page * PAGE:(page + 1) * PAGE]]
    nav = [("◀ Trước", f"cat:{index}:{page - 1}")] if page > 0 else []
    nav += [("Sau ▶", f"cat:{index}:{page + 1}")] if page + 1 < pages else []
    rows += [nav, [("☰ Danh mục", "cats")]] if nav else [[("☰ Danh mục", "cats")]]
    text = s.renderer.render("tg_notice.html", kind="category", category=names[index], page=page, pages=pages)
    return Reply(text, rows)


async def answer_topic(s: Services, user: User, topic_id: str) -> Reply:
    """A topic chosen by id (catalogue, deep link), logged and rated like a picked suggestion."""
    return await s.citizen.answer_topic(user, topic_id)


# Fallbacks


async def refused(update: Update, context: Context) -> None:
    """A staff or admin command from someone who may not use it: the polite refusal."""
    await send_reply(update, context, Reply(services(context).renderer.message("refused")))


async def unknown_command(update: Update, context: Context) -> None:
    """A command nobody has: point to /help."""
    await send_reply(update, context, Reply(services(context).renderer.message("unknown_command")))


async def forged_button(update: Update, context: Context) -> None:
    """Button data that matches no known shape, or a button this user may not press: alert and log."""
    query, s = update.callback_query, services(context)
    user = user_of(update, context)
    log.warning("rejected callback %r from user %s in chat %s", (query.data or "")[:64], user.user_id, user.chat_id)
    known = bool(re.match(r"^(q|ans|st):", query.data or ""))
    await answer_query(query, s.renderer.message("refused" if known else "expired"), alert=True)
