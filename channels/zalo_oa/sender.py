"""Replies to Zalo OA users: plain text of at most 2,000 characters per message, Zalo's errors mapped."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from bot.engine.delivery import RetryLater, Uncertain, Undeliverable, send_parts
from bot.kernel.models import Progress, Reply
from bot.kernel.render import plain_messages
from bot.store.channel_store import ChannelStore
from channels.zalo_oa.tokens import CHANNEL, TokenError, TokenKeeper

log = logging.getLogger(__name__)
LIMIT = 2000
HINT = "(gõ số để chọn)"
WINDOW_ERRORS = (-230, -232)  # outside the 7-day window: sent again when the citizen writes next
# Zalo's refusals that no retry can fix, as the officers read them (the core tells them).
REASONS = {
    -213: "Zalo -213: công dân chưa quan tâm (theo dõi) OA hoặc đã bỏ quan tâm.",
    -227: "Zalo -227: tài khoản Zalo của công dân không còn hoạt động.",
    -230: "Zalo -230: công dân không tương tác với OA trong 7 ngày qua; câu trả lời sẽ được gửi ngay khi "
          "công dân nhắn tin lại.",
    -232: "Zalo -232: đã hết thời hạn tương tác với công dân; câu trả lời sẽ được gửi ngay khi công dân "
          "nhắn tin lại.",
    -244: "Zalo -244: công dân đã chặn nhận loại tin nhắn này từ OA.",
}
WINDOW_PREFIXES = tuple(REASONS[c][:9] for c in WINDOW_ERRORS)  # "Zalo -230", "Zalo -232"


class ZaloError(Exception):
    """An Open API error papibot has no special handling for (retried with back-off)."""


class ZaloOASender:
    """POST /v3.0/oa/message/cs for each part, in order; ids of sent messages are remembered."""

    channel = CHANNEL

    def __init__(self, client: httpx.AsyncClient, api: str, tokens: TokenKeeper, store: ChannelStore) -> None:
        self.client, self.api, self.tokens, self.store = client, api, tokens, store

    async def send(self, chat_id: str, reply: Reply, reply_to: str | None = None,
                   progress: Progress | None = None) -> str | None:
        """Send the parts after `progress`; return the first part's message id."""
        async def one(i: int, part: str) -> str | None:
            return await self._send_one(chat_id, part, reply_to if i == 0 else None)

        return await send_parts(plain_messages(reply.text, reply.buttons, LIMIT, HINT), progress, one)

    async def _post(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            resp = await self.client.post(f"{self.api}/v3.0/oa/message/cs", json=body,
                                          headers={"access_token": token})
        except httpx.TimeoutException as exc:
            raise Uncertain(f"Zalo OA timed out: {type(exc).__name__}") from exc
        if resp.status_code == 429:
            raise RetryLater(60.0)
        if resp.status_code != 200:
            raise ZaloError(f"Zalo OA HTTP {resp.status_code}")
        try:
            data = resp.json()
        except ValueError as exc:
            raise ZaloError("Zalo OA answered something that is not JSON") from exc
        return data if isinstance(data, dict) else {"error": -1, "message": "not an object"}

    async def _send_one(self, chat_id: str, text: str, quote: str | None) -> str | None:
        refreshed = False
        while True:
            try:
                token = await self.tokens.access_token()
            except TokenError as exc:
                raise RetryLater(300.0, "no working Zalo OA access token") from exc  # not the citizen's fault
            message: dict[str, Any] = {"text": text}
            if quote:
                message["quote_message_id"] = quote
            data = await self._post(token, {"recipient": {"user_id": chat_id}, "message": message})
            code = int(data.get("error") or 0)
            if code == 0:
                message_id = str((data.get("data") or {}).get("message_id") or "") or None
                if message_id:
                    await self.store.takeovers.note_sent(CHANNEL, message_id)
                return message_id
            if code in (-216, -220) and not refreshed:
                refreshed = True
                try:
                    await self.tokens.refresh(token)
                except TokenError as exc:
                    raise RetryLater(300.0, "no working Zalo OA access token") from exc
                continue
            if code == -201 and quote:  # the quoted message is unknown to Zalo: send without the quote
                quote = None
                continue
            if code == -32:
                raise RetryLater(60.0)
            if code in REASONS:
                raise Undeliverable(REASONS[code])
            raise ZaloError(f"Zalo OA error {code}: {str(data.get('message', ''))[:200]}")
