"""Notices to the officers, whatever channel the citizen used: new tickets, failed deliveries, errors."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot import codec
from bot.models import OutboxItem, Ticket
from bot.render import Renderer
from bot.storage import Storage
from bot.store_outbox import OFFICER_LANE

log = logging.getLogger(__name__)
ERROR_QUIET = 600.0  # seconds: one error notice per (error type, module) in this window
CHANNEL_NAMES = {"telegram": "Telegram", "zalo_oa": "Zalo OA", "zalo_bot": "Zalo Bot", "web": "web",
                 "console": "console", "cli": "dòng lệnh"}


class Officers:
    """Where officers hear about work: the configured destination (`channel:chat`), through the outbox."""

    def __init__(self, storage: Storage, renderer: Renderer, destination: str | None,
                 wake: Callable[[], None] = lambda: None) -> None:
        self.storage = storage
        self.renderer = renderer
        self.destination = destination
        self.wake = wake
        self._errors: dict[tuple[str, str], tuple[float, int]] = {}

    def _where(self) -> tuple[str, str] | None:
        if not self.destination:
            return None
        channel, _, chat = self.destination.partition(":")
        return channel, chat

    async def new_ticket(self, ticket: Ticket) -> None:
        """Announce a new ticket, with the citizen's channel and an answer button."""
        where = self._where()
        if where is None:
            log.debug("ticket #%s: no officers' destination to announce it to (warned at start-up)", ticket.id)
            return
        post = self.renderer.render("admin_post.html", t=ticket, channel=CHANNEL_NAMES.get(ticket.channel,
                                                                                           ticket.channel))
        buttons = [[(self.renderer.message("button_answer"), codec.encode("ans", ticket.id))]]
        await self.storage.enqueue(*where, "admin_post", post, ticket.id, buttons, lane=OFFICER_LANE)
        self.wake()

    async def undeliverable(self, item: OutboxItem, reason: str) -> None:
        """Tell the officers that a message about a ticket could not reach the citizen, and why."""
        where = self._where()
        if where is None or item.ticket_id is None:
            return
        text = self.renderer.render("tg_notice.html", kind="undeliverable", number=item.ticket_id,
                                    reason=reason[:200])
        await self.storage.enqueue(*where, f"undeliverable:{item.id}", text, lane=OFFICER_LANE)
        self.wake()

    async def once(self, marker: str, kind: str, **values: object) -> bool:
        """A notice (`kind` of tg_notice.html) sent once ever, remembered by `marker` in the audit trail; False
        when it was sent before or there is nowhere to send it."""
        where = self._where()
        if where is None:
            return False
        text = self.renderer.render("tg_notice.html", kind=kind, **values)
        if not await self.storage.notice_once(marker, "papibot", *where, text, OFFICER_LANE):
            return False
        self.wake()
        return True

    async def error(self, exc: BaseException, module: str) -> None:
        """Report a failure, at most once per (error type, module) every ERROR_QUIET seconds, with a count."""
        key = (type(exc).__name__, module)
        now = time.monotonic()
        last, repeats = self._errors.get(key, (float("-inf"), 0))
        if now - last < ERROR_QUIET:
            self._errors[key] = (last, repeats + 1)
            return
        self._errors[key] = (now, 0)
        where = self._where()
        if where is None:
            return
        text = self.renderer.render("tg_notice.html", kind="error_admin", error=key[0], repeats=repeats)
        await self.storage.enqueue(*where, "error", text, lane=OFFICER_LANE)
        self.wake()
