"""What admins can do, written once for every channel: the reply queue, answering, closing, promoting."""

from __future__ import annotations

import re

from bot.engine.router import Request
from bot.kernel.models import Reply

# The answer prompt and the ticket post as platforms return them (tags stripped): their number names the
# ticket when the post is not yet (or no longer) recorded against its message id.
PROMPT = re.compile(r"^(?:Trả lời câu hỏi|Câu hỏi mới) #(\d{1,10})\b")


def _number_and_text(args: str) -> tuple[str, str]:
    parts = [*args.split(None, 1), "", ""]
    return parts[0], parts[1]


async def queue(req: Request) -> Reply:
    """/queue [page]: pending tickets, oldest first."""
    arg = req.args.split()[0] if req.args.split() else ""
    page = int(arg) - 1 if arg.isdigit() and len(arg) < 5 else 0
    return await req.services.admin.queue(req.user, page)


async def queue_page(req: Request) -> Reply:
    """q:<page>: another page of the queue."""
    return await req.services.admin.queue(req.user, int(req.parts[0]))


async def answer(req: Request) -> Reply:
    """/answer N text: answer a ticket; the answer is delivered through the citizen's channel."""
    number, text = _number_and_text(req.args)
    return await req.services.admin.answer(req.user, number, text, req.turn)


async def close(req: Request) -> Reply:
    """/close N [reason]: close spam or duplicates."""
    number, reason = _number_and_text(req.args)
    return await req.services.admin.close(req.user, number, reason, req.turn)


async def promote(req: Request) -> Reply:
    """/promote N [topic-id]: turn an answered ticket into knowledge."""
    return await req.services.admin.promote(req.user, req.args, req.turn)


async def reload(req: Request) -> Reply:
    """/reload: read the knowledge folder again; a broken edit keeps the old knowledge."""
    return await req.services.admin.reload(req.user, req.turn)


async def answer_button(req: Request) -> Reply:
    """ans:<ticket>: ask the officer to reply to this prompt with the answer text."""
    prompt = req.services.renderer.render("tg_notice.html", kind="answer_prompt", number=int(req.parts[0]))
    return Reply(prompt, decision="answer_prompt", ticket_id=int(req.parts[0]))


async def reply_to_post(req: Request) -> Reply | None:
    """A reply, in an officers' chat, to a ticket post or to the answer prompt answers that ticket."""
    s, event = req.services, req.event
    ticket = await s.storage.ticket_by_officer_post(event.channel, event.chat_id, event.reply_to_id or "")
    prompt = PROMPT.match(event.reply_to_text)
    number = str(ticket.id) if ticket else prompt[1] if prompt else None
    if number is None:
        return None  # ordinary conversation among officers
    return await s.admin.answer(req.user, number, event.text, req.turn)
