"""Zalo Bot Platform state and method semantics behind FakeZaloBot in fakezalo.py (no sockets here)."""

from __future__ import annotations

import collections
import copy
import json
import re
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakezalo_state import JSON, MAX_TEXT, BotError, _Recorder, hex32, now_ms

_PATH_RE = re.compile(r"/bot([^/]+)/([A-Za-z]+)/?")
DEFAULT_POLL = 30.0  # seconds getUpdates waits when the caller gives no timeout


class BotState(_Recorder):
    """Bot Platform side: pending updates, webhook registration, sent messages and chat actions."""

    _key = "chat_id"

    def __init__(self, token: str, bot_id: str, account_name: str, display_name: str) -> None:
        super().__init__()
        self.token, self.bot_id, self.account_name, self.display_name = token, bot_id, account_name, display_name
        self._updates: collections.deque[JSON] = collections.deque()
        self._webhook: JSON = {}
        self._actions: list[JSON] = []

    # ---- building and queueing updates ---------------------------------------------------------
    def _update(self, event: str, user_id: str, display_name: str, message_id: str | None,
                date_ms: int | None, **fields: Any) -> JSON:
        sender = {"id": str(user_id), "display_name": display_name, "is_bot": False}
        message = {"message_id": message_id or hex32(), **fields,
                   "chat": {"id": str(user_id), "chat_type": "PRIVATE"}, "from": sender,
                   "date": now_ms() if date_ms is None else date_ms}
        return {"event_name": event, "message": message}

    def text_update(self, user_id: str, text: str, display_name: str = "Dân", message_id: str | None = None,
                    date_ms: int | None = None) -> JSON:
        """Build a message.text.received update from a private chat."""
        return self._update("message.text.received", user_id, display_name, message_id, date_ms, text=text)

    def image_update(self, user_id: str, photo_url: str = "https://example.invalid/photo.jpg", caption: str = "",
                     display_name: str = "Dân") -> JSON:
        """Build a message.image.received update."""
        return self._update("message.image.received", user_id, display_name, None, None,
                            photo_url=photo_url, caption=caption)

    def sticker_update(self, user_id: str, sticker: str = "sticker-1", display_name: str = "Dân") -> JSON:
        """Build a message.sticker.received update."""
        return self._update("message.sticker.received", user_id, display_name, None, None, sticker=sticker,
                            url=f"https://example.invalid/stickers/{sticker}.png")

    def push_update(self, update: JSON) -> JSON:
        """Queue an update for getUpdates; return it."""
        with self.cond:
            self._updates.append(copy.deepcopy(update))
            self.cond.notify_all()
        return update

    def push_text(self, user_id: str, text: str, display_name: str = "Dân", message_id: str | None = None) -> JSON:
        """Queue a user's text message for getUpdates; return the update."""
        return self.push_update(self.text_update(user_id, text, display_name, message_id))

    def pending_updates(self) -> list[JSON]:
        """Updates not yet handed out by getUpdates."""
        with self.cond:
            return copy.deepcopy(list(self._updates))

    @property
    def chat_actions(self) -> list[JSON]:
        """sendChatAction calls, oldest first."""
        with self.cond:
            return copy.deepcopy(self._actions)

    webhook_url = property(lambda self: self._webhook.get("url"), doc="URL from setWebhook, or None.")
    webhook_secret = property(lambda self: self._webhook.get("secret_token"), doc="setWebhook secret_token.")

    # ---- methods -------------------------------------------------------------------------------
    def api_getme(self, p: JSON) -> JSON:
        """getMe: the bot's id, account_name and display_name."""
        return {"id": self.bot_id, "account_name": self.account_name, "account_type": "BASIC",
                "can_join_groups": False, "display_name": self.display_name}

    def api_getupdates(self, p: JSON) -> JSON:
        """getUpdates: pop ONE pending update, long-polling up to `timeout` seconds; 408 when idle."""
        try:
            deadline = time.monotonic() + float(p.get("timeout") or DEFAULT_POLL)
        except (TypeError, ValueError):
            raise BotError(400, "Bad Request: timeout must be a number of seconds") from None
        with self.cond:
            while True:
                if self._webhook:
                    raise BotError(409, "Conflict: a webhook is set; call deleteWebhook before getUpdates")
                if self._updates:
                    return self._updates.popleft()
                if self.stopping or time.monotonic() >= deadline:
                    raise BotError(408, "Request timeout")
                self.cond.wait(deadline - time.monotonic())

    def api_setwebhook(self, p: JSON) -> JSON:
        """setWebhook: register url and secret_token (8-256 characters); getUpdates is refused meanwhile."""
        url, secret = str(p.get("url") or ""), p.get("secret_token")
        if not url.startswith(("http://", "https://")):
            raise BotError(400, "Bad Request: url is invalid")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            raise BotError(400, "Bad Request: secret_token must be 8 to 256 characters")
        with self.cond:
            self._webhook = {"url": url, "secret_token": secret, "updated_at": now_ms()}
            self.cond.notify_all()  # a waiting getUpdates must now be refused
            return {"url": url, "updated_at": self._webhook["updated_at"]}

    def api_deletewebhook(self, p: JSON) -> JSON:
        """deleteWebhook: forget the webhook (getUpdates works again)."""
        with self.cond:
            self._webhook = {}
            return {"url": "", "updated_at": now_ms()}

    def api_getwebhookinfo(self, p: JSON) -> JSON:
        """getWebhookInfo: the registered url ("" when none) and when it was set."""
        with self.cond:
            return {"url": self._webhook.get("url", ""), "updated_at": self._webhook.get("updated_at", 0)}

    def api_sendmessage(self, p: JSON) -> JSON:
        """sendMessage: check chat_id and text (1-2,000 characters), record, return message_id and date."""
        chat_id, text = str(p.get("chat_id") or ""), p.get("text")
        if not chat_id:
            raise BotError(400, "Bad Request: chat_id is empty")
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_TEXT:
            raise BotError(400, f"Bad Request: text must be 1 to {MAX_TEXT} characters")
        msg = {"message_id": hex32(), "date": now_ms()}
        self._record({"chat_id": chat_id, "text": text, **msg})
        return msg

    def api_sendchataction(self, p: JSON) -> bool:
        """sendChatAction: record the action."""
        if not p.get("chat_id") or not p.get("action"):
            raise BotError(400, "Bad Request: chat_id and action are required")
        with self.cond:
            self._actions.append({"chat_id": str(p["chat_id"]), "action": p["action"]})
            self.cond.notify_all()
        return True

    def route(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, JSON]:
        """Serve one request: (HTTP status, JSON body)."""
        parts = urlsplit(path)
        match = _PATH_RE.fullmatch(parts.path)
        if match is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        token, method = match.groups()
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        try:
            params: JSON = dict(parse_qsl(parts.query))
            if "json" in headers.get("content-type", "json") and body.strip():
                loaded = json.loads(body)
                if not isinstance(loaded, dict):
                    raise ValueError("not an object")
                params.update(loaded)
            elif body:
                params.update(parse_qsl(body.decode()))
            handler = getattr(self, "api_" + method.lower(), None)
            if handler is None:
                raise BotError(404, "Not Found: unknown method")
            return 200, {"ok": True, "result": handler(params)}
        except ValueError:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: body is not valid JSON"}
        except BotError as err:
            return err.code, {"ok": False, "error_code": err.code, "description": err.description}
