"""The Zalo Bot Platform adapter: long polling (one update per getUpdates) or a webhook, plain-text replies."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from starlette.routing import BaseRoute, Route

from bot.engine.delivery import RetryLater, Uncertain, Undeliverable, send_parts
from bot.kernel.events import MESSAGE, UNSUPPORTED, Event
from bot.kernel.models import Progress, Reply
from bot.kernel.render import plain_messages
from channels.base import ChannelContext, Polling, long_poll, until_stopped, verified_webhook
from channels.http import Malformed, object_id

log = logging.getLogger(__name__)
CHANNEL = "zalo_bot"
LIMIT = 2000
HINT = "(gõ số để chọn)"
POLL_TIMEOUT = 30  # seconds the platform holds a getUpdates open
SECRET_HEADER = "X-Bot-Api-Secret-Token"


class BotAPIError(Exception):
    """A {"ok": false} reply; `code` is the platform's error_code (equal to the HTTP status)."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(f"{code} {description}")
        self.code, self.description = code, description


class BotClient:
    """POST {api}/bot<TOKEN>/<method> with JSON; the token is part of the URL, so it is masked in logs."""

    def __init__(self, api: str, token: str) -> None:
        self.base = f"{api}/bot{token}"
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(POLL_TIMEOUT + 10.0, connect=5.0))

    async def call(self, method: str, params: dict[str, Any] | None = None, timeout: float = 15.0) -> Any:
        """The result of one method, or BotAPIError."""
        resp = await self.http.post(f"{self.base}/{method}", json=params or {}, timeout=timeout)
        try:
            data = resp.json()
        except ValueError as exc:
            raise BotAPIError(resp.status_code, "not JSON") from exc
        if not isinstance(data, dict) or not data.get("ok"):
            info = data if isinstance(data, dict) else {}
            raise BotAPIError(int(info.get("error_code") or resp.status_code), str(info.get("description", "")))
        return data.get("result")

    async def close(self) -> None:
        """Release the connections."""
        await self.http.aclose()


class ZaloBotSender:
    """sendMessage for each part of a reply, in order."""

    channel = CHANNEL

    def __init__(self, client: BotClient) -> None:
        self.client = client

    async def send(self, chat_id: str, reply: Reply, reply_to: str | None = None,
                   progress: Progress | None = None) -> str | None:
        """Send the parts after `progress`; errors become Undeliverable / RetryLater / Uncertain."""
        async def one(i: int, part: str) -> str | None:
            try:
                result = await self.client.call("sendMessage", {"chat_id": chat_id, "text": part})
            except httpx.TimeoutException as exc:
                raise Uncertain(f"Zalo Bot timed out: {type(exc).__name__}") from exc
            except BotAPIError as exc:
                if exc.code == 429:
                    raise RetryLater(30.0) from exc
                if exc.code in (400, 403):
                    raise Undeliverable(f"Zalo Bot từ chối tin nhắn ({exc.code}): {exc.description}") from exc
                raise
            return str((result or {}).get("message_id") or "") or None

        return await send_parts(plain_messages(reply.text, reply.buttons, LIMIT, HINT), progress, one)


def unwrap(data: Any) -> dict[str, Any] | None:
    """An update, given bare or wrapped as {"ok": true, "result": update}."""
    if isinstance(data, dict) and "result" in data and "event_name" not in data:
        data = data["result"]
    return data if isinstance(data, dict) and isinstance(data.get("message"), dict) else None


def to_event(update: dict[str, Any]) -> Event | None:
    """The core event for an update (None for bots' own and incomplete ones); Malformed for a broken shape."""
    message = update["message"]
    user, chat = object_id(message, "from"), object_id(message, "chat")
    sender, where = message.get("from") or {}, message.get("chat") or {}
    if sender.get("is_bot") or not user or not chat:
        return None
    base: dict[str, Any] = {"update_id": str(message.get("message_id") or "") or None,
                            "name": str(sender.get("display_name") or ""), "buttons": False,
                            "private": str(where.get("chat_type", "PRIVATE")).upper() == "PRIVATE",
                            "message_id": str(message.get("message_id") or "") or None}
    text = message.get("text")
    if update.get("event_name") == "message.text.received" and isinstance(text, str) and text.strip():
        return Event(CHANNEL, user, chat, MESSAGE, text=text, **base)
    return Event(CHANNEL, user, chat, UNSUPPORTED, **base)


class ZaloBotChannel:
    """Zalo Bot Platform updates to core events; replies as plain text."""

    name = CHANNEL

    def __init__(self, context: ChannelContext) -> None:
        self.context = context
        config = self.config = context.settings
        self.client = BotClient(config.zalo_bot_api, config.zalo_bot_token)
        self.sender = ZaloBotSender(self.client)
        self.mode = "webhook" if config.zalo_bot_webhook_url else "polling"
        self.status = "starting"

    def routes(self) -> list[BaseRoute]:
        """The webhook route, in webhook mode."""
        if self.mode != "webhook":
            return []
        endpoint = verified_webhook("Zalo Bot", self._take, secret=(SECRET_HEADER, self.config.zalo_bot_webhook_secret))
        return [Route("/zalo/bot/webhook", endpoint, methods=["POST"])]

    async def start(self) -> None:
        """Check the token, then set the webhook (or clear it for polling)."""
        me = await self.client.call("getMe")
        log.info("Zalo Bot %s connected", (me or {}).get("account_name", "?"))
        if self.mode == "webhook":
            await self.client.call("setWebhook", {"url": self.config.zalo_bot_webhook_url,
                                                  "secret_token": self.config.zalo_bot_webhook_secret})
        else:
            await self.client.call("deleteWebhook")
        self.status = "ok"

    async def close(self) -> None:
        """Release the HTTP client."""
        await self.client.close()

    def state(self) -> dict[str, Any]:
        """Mode and status for /healthz."""
        return {"mode": self.mode, "status": self.status}

    async def handle(self, update: dict[str, Any]) -> None:
        """One update through the core: returns once it is handled; the reply goes out in the background."""
        event = to_event(update)
        if event is not None:
            await self.context.submit(event, self.sender)

    async def _take(self, data: dict[str, Any], body: bytes) -> bool:
        """A webhook's update (given bare or wrapped); kinds papibot does not handle are acknowledged."""
        update = unwrap(data)
        if update is not None:
            await self.handle(update)
        return True

    async def serve(self, stop: asyncio.Event) -> None:
        """Long polling until stopped (webhook mode: just wait)."""
        if self.mode == "webhook":
            await stop.wait()
            return
        polling = Polling(CHANNEL, "Zalo Bot API", self._poll, self._handle_polled, self._report,
                          (httpx.HTTPError, BotAPIError), asked=_asked)
        await long_poll(stop, polling, self.context.poll_lock)

    def _report(self, status: str) -> None:
        self.status = status

    async def _handle_polled(self, update: dict[str, Any]) -> None:
        """getUpdates has no offsets: an update handed out is held until the database takes it; a malformed one
        is one log line, and the polling goes on."""
        try:
            await self.handle(update)
        except Malformed as exc:
            log.warning("Zalo Bot update skipped: %s", exc)

    async def _poll(self, stop: asyncio.Event) -> dict[str, Any] | None:
        """One getUpdates, abandoned as soon as a stop is requested; the update in it, if any."""
        poll = self.client.call("getUpdates", {"timeout": str(POLL_TIMEOUT)}, timeout=POLL_TIMEOUT + 10.0)
        return unwrap(await until_stopped(poll, stop, httpx.HTTPError, BotAPIError))


def _asked(exc: Exception) -> float | None:
    """Nothing new within the timeout (408): poll again at once; anything else is a fault."""
    return 0.0 if isinstance(exc, BotAPIError) and exc.code == 408 else None
