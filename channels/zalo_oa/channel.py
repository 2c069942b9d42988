"""The Zalo OA adapter: signed webhook events stored first, handled by the inbound worker through the core."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
from starlette.routing import BaseRoute

from bot.kernel.events import FOLLOW, MESSAGE, UNSUPPORTED, Event
from bot.store.channel_store import Inbound
from channels.apart import ApartRoute
from channels.base import ChannelContext
from channels.zalo_oa.inbound import InboundWorker
from channels.zalo_oa.sender import WINDOW_PREFIXES, ZaloOASender
from channels.zalo_oa.tokens import CHANNEL, TokenKeeper
from channels.zalo_oa.webhook import STORE_WITHIN, webhook_route

log = logging.getLogger(__name__)
TAKEOVER = 30 * 60.0  # seconds the bot stays silent after a person wrote from Zalo's own inbox
ECHO_GRACE = 0.5  # seconds
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def to_event(data: dict[str, Any], user_id: str, msg_id: str) -> Event | None:
    """The core event for a stored user event (None for the OA's own messages)."""
    name = str(data.get("event_name", ""))
    base: dict[str, Any] = {"update_id": msg_id, "buttons": False, "private": True}
    if name == "follow":
        return Event(CHANNEL, user_id, user_id, FOLLOW, **base)
    if not name.startswith("user_send_"):
        return None
    message = data.get("message") if isinstance(data.get("message"), dict) else {}
    text = (message or {}).get("text")
    if name == "user_send_text" and isinstance(text, str) and text.strip():
        return Event(CHANNEL, user_id, user_id, MESSAGE, text=text, message_id=msg_id, **base)
    return Event(CHANNEL, user_id, user_id, UNSUPPORTED, message_id=msg_id, **base)


class ZaloOAChannel:
    """Zalo OA events to core events; replies back as plain text through the Open API."""

    name = CHANNEL

    def __init__(self, context: ChannelContext) -> None:
        config = self.config = context.settings
        self.submit = context.submit
        self.clock = context.clock
        self.store = context.store
        self.client = httpx.AsyncClient(timeout=TIMEOUT)
        self.tokens = TokenKeeper(self.store, self.client, config.zalo_oauth_api, config.zalo_oa_app_id,
                                  config.zalo_oa_app_secret, config.zalo_oa_refresh_token, self.clock)
        self.sender = ZaloOASender(self.client, config.zalo_oa_api, self.tokens, self.store)
        self.inbound = InboundWorker(self.store, CHANNEL, self.handle)
        self.variants: set[str] = set()
        self.status = "starting"

    def routes(self) -> list[BaseRoute]:
        """The webhook, always (Zalo OA has no polling): answered apart from the main loop, where the server runs
        on a loop of its own (channels/apart.py), since it only checks and stores what came."""
        firsts = {"app_id": self.config.zalo_oa_app_id, "oa_id": self.config.zalo_oa_id}
        endpoint = webhook_route(self.config.zalo_oa_secret_key, firsts, self._keep, self.note_variant, self.clock.now)
        return [ApartRoute("/zalo/oa/webhook", endpoint, methods=["POST"])]

    async def start(self) -> None:
        """Load the tokens (no network call: Zalo has no getMe)."""
        await self.tokens.load()
        self.status = "ok"

    async def serve(self, stop: asyncio.Event) -> None:
        """Handle stored events (those left from before a restart first) until stopped."""
        await self.inbound.run(stop)

    async def close(self) -> None:
        """Release the HTTP client."""
        await self.client.aclose()

    def state(self) -> dict[str, Any]:
        """Webhook mode, the token's state, and which signature variants were seen."""
        return {"mode": "webhook", "status": self.status, "token": self.tokens.health(),
                "signature": sorted(self.variants)}

    def note_variant(self, variant: str) -> None:
        """Log the first event signed with each variant (app id, or OA id); called on the webhook's loop."""
        if variant not in self.variants:
            self.variants.add(variant)
            log.info("Zalo OA events are signed with the %s", variant.replace("_", " "))

    async def _keep(self, user_id: str, msg_id: str, body: str) -> bool:
        """Store a verified event durably (False when not within STORE_WITHIN) and wake the inbound worker (on the
        main loop, from the webhook's)."""
        if not await self.store.inbound.store(CHANNEL, msg_id, user_id, body, STORE_WITHIN):
            return False
        self.inbound.wake()
        return True

    async def handle(self, stored: Inbound) -> None:
        """One stored event: an echo, a takeover check, then the core."""
        data = json.loads(stored.body)
        name = str(data.get("event_name", ""))
        if name.startswith("oa_send_"):
            await self._echo(stored)
            return
        if name.startswith("user_send_"):
            await self._window_reopened(stored.user_id)
            if await self.store.takeovers.taken_over(CHANNEL, stored.user_id):
                log.info("Zalo OA user in a person's hands: the bot stays silent")
                return
        event = to_event(data, stored.user_id, stored.msg_id)
        if event is not None:
            await self.submit(event, self.sender)

    async def _echo(self, stored: Inbound) -> None:
        """Our own message, or a person writing from Zalo's inbox: then the bot keeps quiet for a while."""
        for _ in range(2):  # the sender notes its id just after Zalo accepts it: allow it a moment
            if await self.store.takeovers.was_sent(CHANNEL, stored.msg_id):
                return
            await asyncio.sleep(ECHO_GRACE)
        await self.store.takeovers.take_over(CHANNEL, stored.user_id, self.clock.now() + TAKEOVER)
        log.info("a person wrote to a Zalo OA user from Zalo's inbox: the bot is silent there for %d min",
                 TAKEOVER // 60)

    async def _window_reopened(self, user_id: str) -> None:
        """The citizen wrote: answers that failed for the 7-day window can go out now (the outbox is rung)."""
        count = await self.store.outbox.requeue_undeliverable(CHANNEL, user_id, WINDOW_PREFIXES)
        if count:
            log.info("%s answer(s) held by Zalo's 7-day window sent again", count)
