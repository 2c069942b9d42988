"""Staff handlers: PAPI task status by area, one task, status edits, figures; access is checked at registration."""

from __future__ import annotations

from telegram import Update

from handlers.common import Context, answer_query, send_reply, services, typing, user_of

AREA = r"^st:([a-z0-9-]{1,48})$"


def _arg(context: Context) -> str:
    return " ".join(context.args or [])


async def status(update: Update, context: Context) -> None:
    """/status [area]: every area's progress, or one area's tasks."""
    async with typing(update, context):
        reply = await services(context).staff.status(user_of(update, context), _arg(context))
    await send_reply(update, context, reply)


async def task(update: Update, context: Context) -> None:
    """/task ID: one PAPI task in full."""
    await send_reply(update, context, await services(context).staff.task(user_of(update, context), _arg(context)))


async def set_status(update: Update, context: Context) -> None:
    """/capnhat ID STATUS [note]: record a task status change."""
    reply = await services(context).staff.set_status(user_of(update, context), _arg(context))
    await send_reply(update, context, reply)


async def counts(update: Update, context: Context) -> None:
    """/counts [topic]: the live queue figures beside the report's."""
    async with typing(update, context):
        reply = await services(context).staff.counts(user_of(update, context), _arg(context))
    await send_reply(update, context, reply)


async def area_button(update: Update, context: Context) -> None:
    """st:<slug>: the /status of the area whose button was pressed."""
    await answer_query(update.callback_query)
    reply = await services(context).staff.status(user_of(update, context), context.match[1])
    await send_reply(update, context, reply)
