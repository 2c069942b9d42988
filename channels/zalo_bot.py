"""The Zalo Bot Platform adapter: long polling (one update per getUpdates) or a webhook, plain-text replies."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.engine.core import Core
from bot.engine.delivery import RetryLater, Uncertain, Undeliverable, send_parts
from bot.engine.router import Router
from bot.kernel.config import Config
from bot.kernel.events import MESSAGE, UNSUPPORTED, Event
from bot.kernel.models import Progress, Reply
from bot.kernel.render import plain_messages
from bot.store.lease import STANDBY_WAIT, poll_lease
from bot.store.sqlite import StorageUnavailable
from channels.http import BodyTooLarge, Malformed, object_id, read_body

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

    def __init__(self, config: Config, core: Core, router: Router) -> None:
        self.config, self.core = config, core
        self.client = BotClient(config.zalo_bot_api, config.zalo_bot_token)
        self.sender = ZaloBotSender(self.client)
        self.mode = "webhook" if config.zalo_bot_webhook_url else "polling"
        self.status = "starting"

    def routes(self) -> list[BaseRoute]:
        """The webhook route, in webhook mode."""
        return [Route("/zalo/bot/webhook", self._webhook, methods=["POST"])] if self.mode == "webhook" else []

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
            await self.core.handle(event, self.sender)

    async def _webhook(self, request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.config.zalo_bot_webhook_secret.encode()):
            log.warning("Zalo Bot webhook request without the right secret refused")
            return PlainTextResponse("forbidden", status_code=403)
        try:
            update = unwrap(json.loads(await read_body(request)))
        except BodyTooLarge:
            return PlainTextResponse("too large", status_code=413)
        except (ValueError, RecursionError):
            return PlainTextResponse("bad request", status_code=400)
        if update is None:
            return PlainTextResponse("ok")  # a kind papibot does not handle
        try:
            await self.handle(update)
        except Malformed as exc:  # it came with the secret: worth one line, not a 500 and a traceback
            log.warning("Zalo Bot update refused: %s", exc)
            return PlainTextResponse("bad request", status_code=400)
        except StorageUnavailable:
            return PlainTextResponse("try again", status_code=503)  # delivered again later
        return PlainTextResponse("ok")

    async def serve(self, stop: asyncio.Event) -> None:
        """Long polling until stopped (webhook mode: just wait)."""
        if self.mode == "webhook":
            await stop.wait()
            return
        delay = 1.0
        while not stop.is_set():
            if not await poll_lease(self.core.services.storage, f"poll:{CHANNEL}"):
                self.status = "standby: another papibot process is polling"
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), STANDBY_WAIT)
                continue
            try:
                update = await self._poll(stop)
            except (httpx.HTTPError, BotAPIError) as exc:
                if isinstance(exc, BotAPIError) and exc.code == 408:
                    continue  # nothing new within the timeout
                self.status = f"Zalo Bot API unreachable: {exc}"
                log.warning("getUpdates failed (%s); retrying in %.0f s", exc, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                delay = min(delay * 2, 30.0)
                continue
            delay, self.status = 1.0, "ok"
            if update is not None and (found := unwrap(update)) is not None:
                await self._handle_until_stored(found, stop)

    async def _handle_until_stored(self, update: dict[str, Any], stop: asyncio.Event) -> None:
        """getUpdates has no offsets: an update handed out is kept in memory until the database takes it."""
        delay = 1.0
        while not stop.is_set():
            try:
                await self.handle(update)
                return
            except Malformed as exc:  # one line, and the polling goes on
                log.warning("Zalo Bot update skipped: %s", exc)
                return
            except StorageUnavailable:
                self.status = "database unavailable"
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                delay = min(delay * 2, 30.0)

    async def _poll(self, stop: asyncio.Event) -> Any:
        """One getUpdates, abandoned as soon as a stop is requested."""
        poll = asyncio.ensure_future(self.client.call("getUpdates", {"timeout": str(POLL_TIMEOUT)},
                                                      timeout=POLL_TIMEOUT + 10.0))
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({poll, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not poll.done():
            poll.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError, BotAPIError):
                await poll
            return None
        return poll.result()
