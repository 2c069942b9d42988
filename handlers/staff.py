"""What staff can do, written once for every channel: PAPI task status by area, one task, edits, figures."""

from __future__ import annotations

from bot.models import Reply
from bot.router import Request


async def status(req: Request) -> Reply:
    """/status [area]: every area's progress, or one area's tasks."""
    return await req.services.staff.status(req.user, req.args)


async def task(req: Request) -> Reply:
    """/task ID: one PAPI task in full."""
    return await req.services.staff.task(req.user, req.args)


async def set_status(req: Request) -> Reply:
    """/capnhat ID STATUS [note]: record a task status change."""
    return await req.services.staff.set_status(req.user, req.args, req.turn)


async def counts(req: Request) -> Reply:
    """/counts [topic]: the live queue figures beside the report's."""
    return await req.services.staff.counts(req.user, req.args)


async def area_button(req: Request) -> Reply:
    """st:<slug>: the /status of the area whose button was pressed."""
    return await req.services.staff.status(req.user, req.parts[0])
