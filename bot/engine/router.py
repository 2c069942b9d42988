"""One table of commands and buttons, with who may use each; every channel dispatches through it."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from bot.engine.guard import OK, WARN, Flood
from bot.engine.services import Services
from bot.kernel import codec
from bot.kernel.events import BUTTON, FOLLOW, MESSAGE, TRUSTED_ROLE_CHANNELS, Event
from bot.kernel.menus import fold
from bot.kernel.models import ADMIN, CITIZEN, ROLES, STAFF, Reply, User
from bot.store.sqlite import Turn

log = logging.getLogger(__name__)
RANK = {CITIZEN: 0, STAFF: 1, ADMIN: 2}
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s+(.*))?$", re.S)
_NUMBER = re.compile(r"^\s*(\d{1,2})\s*$")


@dataclass
class Request:
    """What a handler reads: the services, who is asking (role resolved), the event, and its arguments."""

    services: Services
    user: User
    event: Event
    turn: Turn | None
    args: str = ""  # a command's text after its name, newlines kept
    parts: list[str] = field(default_factory=list)  # a button's validated arguments
    commands: list[tuple[str, str, str]] = field(default_factory=list)  # (usage, help, role) this user may use


Handler = Callable[[Request], Awaitable[Reply | None]]


@dataclass(frozen=True)
class Command:
    """A slash command: its name and aliases, the least role that may use it, one line of help."""

    name: str
    role: str
    help: str
    handler: Handler
    aliases: tuple[str, ...] = ()
    usage: str = ""


@dataclass(frozen=True)
class Button:
    """A button payload `prefix:args`, each argument matching its pattern, and the least role to press it."""

    prefix: str
    args: tuple[str, ...]
    role: str
    handler: Handler

    def parse(self, args: list[str]) -> list[str] | None:
        """The arguments when each matches its pattern, else None."""
        if len(args) != len(self.args) or not all(re.fullmatch(p, a) for p, a in zip(self.args, args, strict=True)):
            return None
        return args


@dataclass(frozen=True)
class Routes:
    """The declarative table handed to the Router (built in handlers/routes.py)."""

    commands: tuple[Command, ...]
    buttons: tuple[Button, ...]
    text: Handler  # free text from a citizen
    officer_reply: Handler  # a reply, in the officers' chat, to a ticket post
    follow: Handler  # a person followed / opened the chat (Zalo's follow, Telegram's first /start)
    unsupported: Handler  # stickers, images, voice...


def may(role: str, needed: str) -> bool:
    """True when `role` is at least `needed`."""
    return RANK.get(role, 0) >= RANK[needed]


class Router:
    """Resolves roles, guards floods and redeliveries, dispatches, and records the update as processed."""

    def __init__(self, services: Services, routes: Routes, flood: Flood) -> None:
        self.services = services
        self.routes = routes
        self.flood = flood
        self._commands = {n: c for c in routes.commands for n in (c.name, *c.aliases)}
        self._buttons = {b.prefix: b for b in routes.buttons}

    def commands_for(self, role: str) -> list[Command]:
        """The commands a role may use, in table order (menus and /help are generated from this)."""
        return [c for c in self.routes.commands if may(role, c.role)]

    def user_of(self, event: Event) -> User:
        """Who sent the event, with a role from the configured identities."""
        config = self.services.config
        if event.channel in TRUSTED_ROLE_CHANNELS and event.role in ROLES:
            role = event.role
        elif event.key in config.admin_ids or event.chat_key in config.admin_chat_id:
            role = ADMIN  # membership of an officers' chat is itself the access control there
        else:
            role = STAFF if event.key in config.staff_ids else CITIZEN
        return User(event.channel, event.user_id, event.chat_id, event.name, role, event.private)

    def in_officers_chat(self, event: Event) -> bool:
        """True for an event inside one of the configured officers' chats."""
        return event.chat_key in self.services.config.admin_chat_id

    async def handle(self, event: Event) -> Reply | None:
        """The reply to one event, or None when nothing is to be said (redelivery, flood, ignored)."""
        storage = self.services.storage
        if event.update_id is not None and await storage.database.processed(event.channel, event.update_id):
            log.info("update %s:%s was handled before; not handled again", event.channel, event.update_id)
            return None
        user = self.user_of(event)
        if user.role == CITIZEN and event.channel not in TRUSTED_ROLE_CHANNELS:
            verdict = await self.flood.verdict(event.channel, event.user_id)
            if verdict != OK:
                return Reply(self.services.renderer.message("rate_limited")) if verdict == WARN and user.private \
                    else None
        turn = Turn(event.channel, event.update_id) if event.update_id is not None else None
        commands = [(c.usage or f"/{c.name}", c.help, c.role) for c in self.commands_for(user.role)]
        # Recorded before handling, so that an erasure in this very message removes the record too.
        first = event.private and event.channel not in TRUSTED_ROLE_CHANNELS and \
            await storage.conversations.first_contact(event.channel, event.user_id)
        reply = await self._dispatch(Request(self.services, user, event, turn, commands=commands))
        if reply is not None and reply.plain and not event.buttons:
            reply = replace(reply, text=reply.plain, plain="")
        notice = self.privacy_notice()
        if reply is not None and first and notice not in reply.text:
            reply = replace(reply, text=f"{notice}\n\n{reply.text}")
        if reply is not None and reply.buttons and not event.buttons:
            shown, rest = fold(reply.buttons)  # as the channel numbers them; the update is recorded with the menu
            await storage.menus.save(event.channel, event.chat_id, event.user_id, [data for _, data in shown], rest,
                                     turn)
        elif turn is not None:
            await storage.database.claim(turn)  # a write only when handling it stored nothing
        return reply

    def privacy_notice(self) -> str:
        """What is stored, for how long, and how to erase it (Decree 13/2023/NĐ-CP), in two lines."""
        return self.services.citizen.privacy_notice()

    async def _dispatch(self, req: Request) -> Reply | None:
        event = req.event
        if event.kind == BUTTON:
            return await self._press(req, event.payload)
        if event.kind == FOLLOW:
            return await self.routes.follow(req)
        if event.kind != MESSAGE:
            return await self.routes.unsupported(req) if event.private else None
        text = event.text.strip()
        if not event.buttons and (number := _NUMBER.match(text)):
            payload = await self.services.storage.menus.choice(event.channel, event.chat_id, event.user_id,
                                                               int(number[1]))
            if payload is not None:
                return await self._press(req, payload)
        if (command := _COMMAND.match(text)) is not None:
            req.args = (command[2] or "").strip()
            return await self._command(req, command[1].lower())
        if self.in_officers_chat(event) and event.reply_to_id is not None:
            return await self.routes.officer_reply(req)
        if not event.addressed:
            return None
        return await self.routes.text(req)

    async def _command(self, req: Request, name: str) -> Reply | None:
        renderer = self.services.renderer
        command = self._commands.get(name)
        if command is None:
            return Reply(renderer.message("unknown_command"), alert=True) if req.event.private else None
        if not may(req.user.role, command.role):
            return Reply(renderer.message("refused"), alert=True)
        if command.role != CITIZEN and not req.event.private and not self.in_officers_chat(req.event):
            return Reply(renderer.message("private_only"), alert=True)  # office figures stay out of public groups
        return await command.handler(req)

    async def _press(self, req: Request, payload: str) -> Reply | None:
        renderer = self.services.renderer
        decoded = codec.decode(payload)
        button = self._buttons.get(decoded[0]) if decoded else None
        args = button.parse(decoded[1]) if button and decoded else None
        if button is None or args is None:
            log.warning("rejected button data %r from %s", payload[:64], req.event.key)
            return Reply(renderer.message("expired"), alert=True)
        if not may(req.user.role, button.role):
            log.warning("button %s refused to %s (%s)", button.prefix, req.event.key, req.user.role)
            return Reply(renderer.message("refused"), alert=True)
        req.parts = args
        return await button.handler(req)
