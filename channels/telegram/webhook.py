"""The Telegram webhook on the one HTTP server: the secret first, a capped body, then the update is handled
before Telegram hears 200, so anything a crash interrupted is delivered again."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from telegram import Update

from bot.store.sqlite import StorageUnavailable
from channels.http import BodyTooLarge, read_body

if TYPE_CHECKING:
    from channels.telegram.channel import TelegramChannel

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_ID = 2**63


def valid_update(data: object) -> bool:
    """A JSON object with an integer update_id in [0, 2^63)."""
    if not isinstance(data, dict):
        return False
    uid = data.get("update_id")
    return isinstance(uid, int) and not isinstance(uid, bool) and 0 <= uid < MAX_UPDATE_ID


def webhook_route(channel: TelegramChannel) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint for POST /telegram/webhook."""
    secret = channel.config.webhook_secret.encode()

    async def endpoint(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, secret):
            log.warning("webhook request from %s without the right secret refused",
                        request.client.host if request.client else "?")
            return PlainTextResponse("forbidden", status_code=403)
        try:
            data = json.loads(await read_body(request))
        except BodyTooLarge:
            return PlainTextResponse("too large", status_code=413)
        except (ValueError, RecursionError):
            return PlainTextResponse("bad request", status_code=400)
        if not valid_update(data):
            return PlainTextResponse("bad request", status_code=400)
        try:
            update = Update.de_json(data, channel.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            log.info("update %s of a kind not understood: ignored", data["update_id"])
            return PlainTextResponse("ok")
        try:
            await channel.handle(update)
        except StorageUnavailable:
            return PlainTextResponse("try again", status_code=503)  # Telegram delivers it again
        return PlainTextResponse("ok")

    return endpoint
