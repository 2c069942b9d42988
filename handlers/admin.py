"""What admins can do, written once for every channel: the reply queue, answering, closing, promoting."""

from __future__ import annotations

import re

from bot.engine.router import Request
from bot.kernel.models import Reply
from bot.usecases.citizen import parse_number
from handlers import render_admin as render

# The answer prompt and the ticket post as platforms return them (tags stripped): their number names the
# ticket when the post is not yet (or no longer) recorded against its message id.
PROMPT = re.compile(r"^(?:Trả lời câu hỏi|Câu hỏi mới) #(\d{1,10})\b")


def _number_and_text(args: str) -> tuple[int | None, str]:
    """`N rest`: the ticket number (None when the first word is not one) and the rest."""
    parts = [*args.split(None, 1), "", ""]
    return parse_number(parts[0]), parts[1]


def parse_promote(args: str) -> tuple[int, str, str | None] | None:
    """`N TOPIC-ID [edited question]`: the ticket number, the topic and the question as edited (None: as asked)."""
    parts = args.split(None, 2)
    number = parse_number(parts[0]) if parts else None
    if number is None or len(parts) < 2:
        return None
    return number, parts[1], parts[2] if len(parts) > 2 else None


async def queue(req: Request) -> Reply:
    """/queue [page]: pending tickets, oldest first."""
    arg = req.args.split()[0] if req.args.split() else ""
    page = int(arg) - 1 if arg.isdigit() and len(arg) < 5 else 0
    return render.queue_page(req.services.renderer, await req.services.admin.queue(req.user, page))


async def queue_page(req: Request) -> Reply:
    """q:<page>: another page of the queue."""
    return render.queue_page(req.services.renderer, await req.services.admin.queue(req.user, int(req.parts[0])))


async def answer(req: Request) -> Reply:
    """/answer N text: answer a ticket; the answer is delivered through the citizen's channel."""
    number, text = _number_and_text(req.args)
    return await _answer(req, number, text)


async def _answer(req: Request, number: int | None, text: str) -> Reply:
    s = req.services
    if not req.user.is_admin:
        return render.refused(s.renderer)
    if number is None or not text.strip():
        return render.say(s.renderer, render.ANSWER_USAGE, alert=True)
    return render.answered(s.renderer, await s.admin.answer(req.user, number, text, req.turn))


async def close(req: Request) -> Reply:
    """/close N [reason]: close spam or duplicates."""
    s = req.services
    number, reason = _number_and_text(req.args)
    if not req.user.is_admin:
        return render.refused(s.renderer)
    if number is None:
        return render.say(s.renderer, render.CLOSE_USAGE, alert=True)
    return render.closed(s.renderer, await s.admin.close(req.user, number, reason, req.turn))


async def promote(req: Request) -> Reply:
    """/promote N topic-id [edited question]: an answered ticket's question joins a topic of the knowledge."""
    s = req.services
    if not req.user.is_admin:
        return render.refused(s.renderer)
    parsed = parse_promote(req.args)
    if parsed is None:
        return render.say(s.renderer, render.PROMOTE_USAGE, alert=True)
    number, topic, question = parsed
    return render.promoted(s.renderer, await s.admin.promote(req.user, number, topic, question, req.turn))


async def reload(req: Request) -> Reply:
    """/reload: read the knowledge folder again; a broken edit keeps the old knowledge."""
    return render.reloaded(req.services.renderer, await req.services.admin.reload(req.user, req.turn))


async def answer_button(req: Request) -> Reply:
    """ans:<ticket>: ask the officer to reply to this prompt with the answer text."""
    number = int(req.parts[0])
    prompt = req.services.renderer.render("tg_notice.html", kind="answer_prompt", number=number)
    return Reply(prompt, prompt=f"Trả lời câu hỏi #{number}")


async def reply_to_post(req: Request) -> Reply | None:
    """A reply, in an officers' chat, to a ticket post or to the answer prompt answers that ticket."""
    s, event = req.services, req.event
    ticket = await s.storage.tickets.by_officer_post(event.channel, event.chat_id, event.reply_to_id or "")
    prompt = PROMPT.match(event.reply_to_text)
    number = ticket.id if ticket else parse_number(prompt[1]) if prompt else None
    if ticket is None and prompt is None:
        return None  # ordinary conversation among officers
    return await _answer(req, number, event.text)
