"""The console channel: the same services as Telegram, on a terminal or with piped standard input."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Awaitable, Callable

from bot.config import Config
from bot.delivery import deliver_due
from bot.models import ADMIN, CITIZEN, STAFF, OutboxItem, Reply, User
from bot.render import to_plain
from bot.services import Services, open_services

CALLBACK = re.compile(r"^(sug:\d+:[a-z0-9-]+|esc:\d+|fb:\d+:[yn]|del:(yes|no)|q:\d+|st:[a-z0-9-]+)$")
Handler = Callable[[Services, User, str], Awaitable[Reply]]

CITIZEN_COMMANDS: dict[str, Handler] = {
    "cauhoi": lambda s, u, a: s.citizen.my_tickets(u),
    "theodoi": lambda s, u, a: s.citizen.follow(u, a),
}
STAFF_COMMANDS: dict[str, Handler] = {
    "status": lambda s, u, a: s.staff.status(u, a),
    "task": lambda s, u, a: s.staff.task(u, a),
    "capnhat": lambda s, u, a: s.staff.set_status(u, a),
    "counts": lambda s, u, a: s.staff.counts(u, a),
}
ADMIN_COMMANDS: dict[str, Handler] = {
    "queue": lambda s, u, a: s.admin.queue(u, int(a) - 1 if a.strip().isdigit() else 0),
    "answer": lambda s, u, a: s.admin.answer(u, *[*a.split(None, 1), "", ""][:2]),
    "close": lambda s, u, a: s.admin.close(u, *[*a.split(None, 1), "", ""][:2]),
    "promote": lambda s, u, a: s.admin.promote(u, a),
    "reload": lambda s, u, a: s.admin.reload(u),
}
ROLE_COMMANDS = {CITIZEN: CITIZEN_COMMANDS, STAFF: {**CITIZEN_COMMANDS, **STAFF_COMMANDS},
                 ADMIN: {**CITIZEN_COMMANDS, **STAFF_COMMANDS, **ADMIN_COMMANDS}}


async def press(services: Services, user: User, data: str) -> Reply:
    """Act on a button press; the data is validated before anything reads it."""
    if not CALLBACK.match(data):
        return Reply(services.renderer.message("expired"))
    kind, _, rest = data.partition(":")
    if kind == "sug":
        qid, topic = rest.split(":")
        return await services.citizen.pick_suggestion(user, int(qid), topic)
    if kind == "esc":
        return await services.citizen.escalate(user, int(rest))
    if kind == "fb":
        qid, verdict = rest.split(":")
        return await services.citizen.rate(user, int(qid), verdict == "y")
    if kind == "del":
        return await services.citizen.delete_data(user, rest == "yes")
    if kind == "q" and user.is_admin:
        return await services.admin.queue(user, int(rest))
    if kind == "st" and user.is_staff:
        return await services.staff.status(user, rest)
    return Reply(services.renderer.message("refused"))


async def handle_line(services: Services, user: User, line: str) -> Reply:
    """One console line: a /command, or a free-text question."""
    if not line.startswith("/"):
        return await services.citizen.ask(user, line)
    command, _, arg = line[1:].partition(" ")
    command = command.split("@")[0].lower()
    if command in ("start", "help"):
        return Reply(services.renderer.render("welcome.html", role=user.role))
    if command == "xoadulieu":
        return services.citizen.confirm_delete()
    if command == "thutuc":
        return Reply(services.renderer.render("catalogue.html", topics=services.brain.kb.topics))
    handler = ROLE_COMMANDS[user.role].get(command)
    if handler is None:
        known = any(command in table for table in ROLE_COMMANDS.values())
        return Reply(services.renderer.message("refused" if known else "unknown_command"))
    return await handler(services, user, arg)


def _show(reply: Reply, out: Callable[[str], None]) -> list[str]:
    out(to_plain(reply.text))
    buttons = [data for row in reply.buttons for _, data in row]
    labels = [label for row in reply.buttons for label, _ in row]
    for i, label in enumerate(labels, 1):
        out(f"  [{i}] {label}")
    if labels:
        out("  (gõ số để chọn)")
    return buttons


async def _deliver(services: Services, user: User, out: Callable[[str], None]) -> None:
    async def send(item: OutboxItem) -> None:
        out(to_plain(item.text))

    await deliver_due(services.storage, "console", send, chat_id=user.chat_id)


async def run_console(config: Config, role: str = CITIZEN, user_id: int = 1, name: str = "") -> int:
    """Chat on the console until end of input; piped input gets replies only, no prompts."""
    interactive = sys.stdin.isatty()
    services = await open_services(config)
    user = User("console", user_id, user_id, name or f"Người dùng {user_id}", role)

    def out(text: str) -> None:
        print(text, flush=True)

    try:
        if interactive:
            out(to_plain(services.renderer.render("welcome.html", role=role)))
        await _deliver(services, user, out)
        buttons: list[str] = []
        while True:
            line = await asyncio.to_thread(_read_line, "> " if interactive else "")
            if line is None:
                break
            line = line.strip()
            if line.isdigit() and 0 < int(line) <= len(buttons):
                reply = await press(services, user, buttons[int(line) - 1])
            else:
                reply = await handle_line(services, user, line)
            buttons = _show(reply, out)
            await _deliver(services, user, out)
            if interactive:
                out("")
    finally:
        await services.close()
    return 0


def _read_line(prompt: str) -> str | None:
    try:
        return input(prompt)
    except EOFError:
        return None
