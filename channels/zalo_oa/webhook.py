"""POST /zalo/oa/webhook: check the signature and the age, store the event durably, then answer 200.

The event is handled afterwards by the inbound worker, so Zalo hears back within its 2 seconds whatever
the bot is busy with; a store that cannot commit within STORE_WITHIN answers 503 and Zalo delivers again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request

from bot.kernel.events import sound_text
from channels.base import Endpoint, verified_webhook
from channels.http import object_id

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-ZEvent-Signature"
MAX_AGE = 2 * 3600.0  # seconds: Zalo's retries of an unacknowledged event span just under two hours
MAX_AHEAD = 600.0  # seconds of clock difference tolerated for a timestamp in the future
STORE_WITHIN = 1.5  # seconds the durable store may take before Zalo is told to deliver again
Keep = Callable[[str, str, str], Awaitable[bool]]  # (user id, message id, body) stored durably; False: not in time


def signature_variant(body: bytes, timestamp: str, mac: str, secret_key: str, firsts: dict[str, str]) -> str | None:
    """Which id ("app_id" or "oa_id") the mac was computed with, or None when it matches neither."""
    found = None
    for variant, first in firsts.items():
        if not first:
            continue
        expected = hashlib.sha256(first.encode() + body + timestamp.encode() + secret_key.encode()).hexdigest()
        if hmac.compare_digest(expected.encode(), mac.encode()):
            found = variant  # keep comparing: the time taken does not depend on which one matched
    return found


def route_key(data: dict[str, Any]) -> tuple[str, str] | None:
    """(user id, message id) of an event worth storing, or None to ignore it; Malformed if a person is no object."""
    name = str(data.get("event_name", ""))
    message = data.get("message") if isinstance(data.get("message"), dict) else {}
    if name.startswith("user_send_"):
        user = object_id(data, "sender")
    elif name.startswith("oa_send_"):
        user = object_id(data, "recipient")  # the echo belongs to the citizen's chat
    elif name == "follow":
        user = object_id(data, "follower")
        return (sound_text(user), f"follow:{sound_text(user)}:{data.get('timestamp', '')}") if user else None
    else:
        return None  # unfollow, seen and received receipts...: nothing to say
    msg_id = (message or {}).get("msg_id")
    if not user:
        return None
    if not msg_id:
        msg_id = "sha256:" + hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    return sound_text(user), sound_text(str(msg_id))


def _fresh(timestamp: str, now: float) -> bool:
    try:
        sent = int(timestamp) / 1000
    except ValueError:
        return False
    return now - MAX_AGE <= sent <= now + MAX_AHEAD


def webhook_route(secret_key: str, firsts: dict[str, str], keep: Keep, note_variant: Callable[[str], None],
                  now: Callable[[], float]) -> Endpoint:
    """The endpoint for POST /zalo/oa/webhook: events signed with `secret_key` and one of the `firsts` ids, fresh
    by `now`, go to `keep` (user id, message id, body)."""
    def check(request: Request, body: bytes, data: dict[str, Any]) -> str | None:
        timestamp = str(data.get("timestamp", ""))
        mac = request.headers.get(SIGNATURE_HEADER, "").strip().removeprefix("mac=")
        variant = signature_variant(body, timestamp, mac, secret_key, firsts) if mac else None
        if variant is None or not _fresh(timestamp, now()):
            return "stale timestamp" if variant else "bad or missing signature"
        note_variant(variant)
        return None

    async def take(data: dict[str, Any], body: bytes) -> bool:
        key = route_key(data)
        if key is None:
            return True
        if not await keep(key[0], key[1], body.decode()):
            log.warning("Zalo OA event %s not stored in time; Zalo will deliver it again", key[1])
            return False
        return True

    return verified_webhook("Zalo OA", take, check=check)
