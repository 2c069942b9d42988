"""`papibot queue answer|close|promote`: the admin use cases from the command line, said as in the chat."""

from __future__ import annotations

import argparse
import sys

from bot.engine.services import Services
from bot.kernel.models import Reply, User
from bot.kernel.render import to_plain
from bot.understanding.publish import NameOverride
from bot.usecases.citizen import parse_number
from bot.usecases.outcomes import succeeded
from handlers import render_admin as render
from handlers.admin import parse_promote


async def _act(s: Services, user: User, args: argparse.Namespace) -> tuple[Reply, bool]:
    """The reply the chat would give, and whether the use case did what was asked."""
    r = s.renderer
    number = parse_number(str(args.number))
    if args.queue_cmd == "answer":
        text = " ".join(args.text)
        if number is None or not text.strip():
            return render.say(r, render.ANSWER_USAGE, alert=True), False
        answered = await s.admin.answer(user, number, text)
        return render.answered(r, answered), succeeded(answered)
    if args.queue_cmd == "close":
        if number is None:
            return render.say(r, render.CLOSE_USAGE, alert=True), False
        closed = await s.admin.close(user, number, " ".join(args.text))
        return render.closed(r, closed), succeeded(closed)
    allow = NameOverride(user.key, args.allow_name) if args.allow_name else None
    if args.new:
        promoted = await s.admin.promote_new(user, number or 0, args.title or "", args.question, allow, args.answer)
        return render.promoted(r, promoted), succeeded(promoted)
    parsed = parse_promote(" ".join([str(args.number), args.topic or "", args.question or ""]).strip())
    if parsed is None:
        return render.say(r, render.PROMOTE_USAGE, alert=True), False
    promoted = await s.admin.promote(user, parsed[0], parsed[1], parsed[2], override=allow)
    return render.promoted(r, promoted), succeeded(promoted)


async def act(s: Services, user: User, args: argparse.Namespace) -> int:
    """Answer, close or promote a ticket; print what the chat would say; 0 when done, 1 when not, 2 for a bad
    number with --new."""
    if args.queue_cmd == "promote" and args.new and parse_number(str(args.number)) is None:
        print(f"Số câu hỏi không hợp lệ: {args.number}", file=sys.stderr)
        return 2
    reply, done = await _act(s, user, args)
    print(to_plain(reply.text))
    return 0 if done else 1
