"""What staff can do, written once for every channel: the PAPI plan by area, one task, status edits, figures."""

from __future__ import annotations

import re

from bot.engine.router import Request
from bot.kernel.models import Reply
from bot.papi.deadlines import STATUS_LABELS, parse_status
from bot.usecases.outcomes import TaskStatus, task_status
from handlers import render_staff as render


def split_status(words: list[str]) -> tuple[TaskStatus | None, str]:
    """The status (one to three words, e.g. "hoàn thành", "chưa đến hạn") and the note after it."""
    for size in (3, 2, 1):
        status = task_status(parse_status(" ".join(words[:size])) or "")
        if status is not None and len(words) >= size:
            return status, re.sub(r"\s+", " ", " ".join(words[size:])).strip()
    return None, ""


async def status(req: Request) -> Reply:
    """/status [area]: every area's progress, or one area's tasks (current period)."""
    return render.status(req.services.renderer, await req.services.staff.status(req.user, req.args))


async def task(req: Request) -> Reply:
    """/task ID: one PAPI task in full (current period)."""
    if not req.args.strip() and req.user.is_staff:
        return render.notice(req.services.renderer, "usage_task")
    return render.task(req.services.renderer, await req.services.staff.task(req.user, req.args))


async def set_status(req: Request) -> Reply:
    """/capnhat ID STATUS [note]: record a task status (an empty note keeps the earlier one)."""
    renderer = req.services.renderer
    if not req.user.is_staff:
        return render.refused(renderer)
    words = req.args.split()
    if len(words) < 2:
        return render.notice(renderer, "usage_capnhat", statuses=STATUS_LABELS)
    found, note = split_status(words[1:])
    if found is None:
        return render.notice(renderer, "bad_status", word=words[1][:30], statuses=STATUS_LABELS)
    outcome = await req.services.staff.set_status(req.user, words[0], found, note or None, req.turn)
    return render.status_set(renderer, outcome, req.user.name or req.user.key)


async def counts(req: Request) -> Reply:
    """/counts [topic]: the live figures beside the report's."""
    return render.counts(req.services.renderer, await req.services.staff.counts(req.user, req.args))


async def area_button(req: Request) -> Reply:
    """st:<slug>: the /status of the area whose button was pressed."""
    return render.status(req.services.renderer, await req.services.staff.status(req.user, req.parts[0]))
