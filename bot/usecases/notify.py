"""Notices to the officers, whatever channel the citizen used: new tickets, failed deliveries, errors.

Every notice goes to every officers' destination (PAPIBOT_ADMIN_CHAT_ID), each through its own channel's
outbox lane. What a destination's people can do with a notice follows its channel's registry entry: reply to it
(Telegram), type /answer (Zalo), or only read it (e-mail). A notice that cannot be delivered is shown on the web
console, and the other destinations are told once per outage of that destination.
"""

from __future__ import annotations

import logging
import re

from bot.kernel import codec
from bot.kernel.clock import SYSTEM, Clock
from bot.kernel.models import OutboxItem, Ticket
from bot.kernel.registry import CITIZEN_LABELS, REGISTRY
from bot.kernel.render import Renderer
from bot.store.outbox import OFFICER_LANE
from bot.store.storage import Storage

log = logging.getLogger(__name__)
ERROR_QUIET = 600.0  # seconds: one error notice per (error type, module) in this window
CHANNEL_NAMES = CITIZEN_LABELS  # where a citizen's ticket came from, as officers read it
LOST = "notice_lost"  # the kind of the notice telling the others that one could not be delivered
_PLATFORM_CODE = re.compile(r"^(Zalo -\d+):")  # a platform's refusal worded for a citizen: its code only


class Officers:
    """Where officers hear about work: the configured destinations (`channel:chat`), through the outbox."""

    def __init__(self, storage: Storage, renderer: Renderer, destinations: tuple[str, ...] = (),
                 web_url: str = "", clock: Clock = SYSTEM) -> None:
        self.clock = clock
        self.storage = storage
        self.renderer = renderer
        self.destinations = destinations
        self.places = [(channel, chat) for channel, _, chat in (d.partition(":") for d in destinations)]
        self.web_url = web_url.rstrip("/")
        self._errors: dict[tuple[str, str], tuple[float, int]] = {}

    @property
    def by_email(self) -> bool:
        """True when citizens' questions reach some officer by e-mail (the privacy notice says so)."""
        return any(channel == "email" for channel, _ in self.places)

    @staticmethod
    def _kind(name: str, index: int) -> str:
        """One outbox kind per destination: a ticket holds each kind once."""
        return name if index == 0 else f"{name}@{index}"

    async def new_ticket(self, ticket: Ticket) -> None:
        """Announce a new ticket everywhere, saying on each what its officers can do with the notice."""
        if not self.places:
            log.debug("ticket #%s: no officers' destination to announce it to (warned at start-up)", ticket.id)
            return
        source = CHANNEL_NAMES.get(ticket.channel, ticket.channel)
        for i, (channel, chat) in enumerate(self.places):
            can = REGISTRY.kind(channel)
            post = self.renderer.render("admin_post.html", t=ticket, channel=source, reply=can.reply_answers,
                                        commands=can.commands, web_url=self.web_url)
            buttons = [[(self.renderer.message("button_answer"), codec.encode("ans", ticket.id))]] \
                if can.reply_answers else []
            await self.storage.outbox.enqueue(channel, chat, self._kind("admin_post", i), post, ticket.id, buttons,
                                              lane=OFFICER_LANE)

    async def note(self, ticket: Ticket, name: str, text: str) -> None:
        """A note about a ticket (done on the console) to every destination, after that ticket's post there."""
        for i, (channel, chat) in enumerate(self.places):
            post = await self.storage.notices.post_id(ticket.id, channel, chat)
            await self.storage.outbox.officer_note((channel, chat), ticket.id, self._kind(name, i), text, post)

    async def _all(self, name: str, text: str) -> None:
        for channel, chat in self.places:
            await self.storage.outbox.enqueue(channel, chat, name, text, lane=OFFICER_LANE)

    async def undeliverable(self, item: OutboxItem, reason: str) -> None:
        """Tell the officers that a message about a ticket could not reach the citizen, and why."""
        if not self.places or item.ticket_id is None:
            return
        text = self.renderer.render("tg_notice.html", kind="undeliverable", number=item.ticket_id,
                                    reason=reason[:200])
        await self._all(f"undeliverable:{item.id}", text)

    async def notice_lost(self, item: OutboxItem, reason: str) -> None:
        """A notice could not reach one destination: the console lists it (it stays in the outbox, undeliverable)
        and the other destinations are told, once until a notice reaches that destination again."""
        if item.kind.startswith(LOST) or await self.storage.notices.failing_before(item.channel, item.chat_id, item.id):
            return
        others = [(i, place) for i, place in enumerate(self.places) if place != (item.channel, item.chat_id)]
        if not others:
            return
        code = _PLATFORM_CODE.match(reason)
        text = self.renderer.render("tg_notice.html", kind=LOST, number=item.ticket_id, channel=item.channel,
                                    place=REGISTRY.place_label(f"{item.channel}:{item.chat_id}"),
                                    reason=code[1] if code else reason[:200], web_url=self.web_url)
        for i, (channel, chat) in others:
            await self.storage.outbox.enqueue(channel, chat, f"{LOST}:{item.id}@{i}", text, item.ticket_id,
                                              lane=OFFICER_LANE)

    async def once(self, marker: str, kind: str, **values: object) -> bool:
        """A notice (`kind` of tg_notice.html) sent once ever, remembered by `marker` in the audit trail; False
        when it was sent before or there is nowhere to send it."""
        if not self.places:
            return False
        text = self.renderer.render("tg_notice.html", kind=kind, **values)
        return await self.storage.notices.once(marker, "papibot", self.places, text, OFFICER_LANE)

    async def error(self, exc: BaseException, module: str) -> None:
        """Report a failure, at most once per (error type, module) every ERROR_QUIET seconds, with a count."""
        key = (type(exc).__name__, module)
        now = self.clock.monotonic()
        last, repeats = self._errors.get(key, (float("-inf"), 0))
        if now - last < ERROR_QUIET:
            self._errors[key] = (last, repeats + 1)
            return
        self._errors[key] = (now, 0)
        if not self.places:
            return
        text = self.renderer.render("tg_notice.html", kind="error_admin", error=key[0], repeats=repeats)
        await self._all("error", text)
