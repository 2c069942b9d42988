"""The Telegram webhook on the one HTTP server: the secret first, a capped body, then the update is handled
before Telegram hears 200, so anything a crash interrupted is delivered again."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, Update

from channels.base import Endpoint, verified_webhook
from channels.http import Malformed

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_ID = 2**63


def valid_update(data: object) -> bool:
    """A JSON object with an integer update_id in [0, 2^63)."""
    if not isinstance(data, dict):
        return False
    uid = data.get("update_id")
    return isinstance(uid, int) and not isinstance(uid, bool) and 0 <= uid < MAX_UPDATE_ID


def webhook_route(secret: str, bot: Bot, handle: Callable[[Update], Awaitable[None]]) -> Endpoint:
    """The endpoint for POST /telegram/webhook: updates with the `secret` go to `handle`."""
    async def take(data: dict[str, Any], body: bytes) -> bool:
        if not valid_update(data):
            raise Malformed("update_id is not a whole number in [0, 2^63)")
        try:
            update = Update.de_json(data, bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            log.info("update %s of a kind not understood: ignored", data["update_id"])
            return True
        await handle(update)
        return True

    return verified_webhook("Telegram", take, secret=(SECRET_HEADER, secret))
