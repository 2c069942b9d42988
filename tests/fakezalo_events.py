"""Zalo OA webhook events and their signature, mixed into FakeZaloOA (see fakezalo.py)."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.fakezalo_state import JSON, hex32, now_ms


class OAEvents:
    """Builders of the events Zalo POSTs to an OA webhook, and the X-ZEvent-Signature MAC."""

    app_id: str
    oa_id: str
    oa_secret_key: str

    # ---- webhook events (timestamps are real time in ms, as a string; the adapter checks them) -----------
    def user_id_by_app(self, user_id: str) -> str:
        """The stable app-scoped id Zalo sends next to the OA-scoped sender id."""
        return str(int(hashlib.sha256(f"{self.app_id}:{user_id}".encode()).hexdigest()[:15], 16))

    def _event(self, name: str, sender: str, recipient: str, user_id: str, timestamp_ms: int | None,
               **extra: Any) -> JSON:
        return {"app_id": self.app_id, "sender": {"id": sender}, "user_id_by_app": self.user_id_by_app(user_id),
                "recipient": {"id": recipient}, "event_name": name,
                "timestamp": str(now_ms() if timestamp_ms is None else timestamp_ms), **extra}

    def text_event(self, user_id: str, text: str, msg_id: str | None = None, timestamp_ms: int | None = None) -> JSON:
        """A user_send_text event from user_id to the OA."""
        return self._event("user_send_text", user_id, self.oa_id, user_id, timestamp_ms,
                           message={"text": text, "msg_id": msg_id or hex32()})

    def image_event(self, user_id: str, url: str = "https://example.invalid/photo.jpg", text: str = "") -> JSON:
        """A user_send_image event (one image attachment, optional caption text)."""
        attachment = {"type": "image", "payload": {"url": url, "thumbnail": url}}
        return self._event("user_send_image", user_id, self.oa_id, user_id, None,
                           message={"text": text, "msg_id": hex32(), "attachments": [attachment]})

    def sticker_event(self, user_id: str, sticker_id: str = "bfe458bf64fa8da4d4eb") -> JSON:
        """A user_send_sticker event."""
        attachment = {"type": "sticker", "payload": {"id": sticker_id, "url": "https://example.invalid/s.png"}}
        return self._event("user_send_sticker", user_id, self.oa_id, user_id, None,
                           message={"msg_id": hex32(), "attachments": [attachment]})

    def follow_event(self, user_id: str) -> JSON:
        """A follow event (the user followed the OA)."""
        return {"app_id": self.app_id, "oa_id": self.oa_id, "user_id_by_app": self.user_id_by_app(user_id),
                "event_name": "follow", "source": "oa_profile", "follower": {"id": user_id},
                "timestamp": str(now_ms())}

    def unfollow_event(self, user_id: str) -> JSON:
        """An unfollow event."""
        return {**self.follow_event(user_id), "event_name": "unfollow"}

    def oa_echo_event(self, user_id: str, text: str, msg_id: str | None = None) -> JSON:
        """An oa_send_text event: the OA (e.g. an officer in Zalo's inbox) wrote `text` to user_id."""
        return self._event("oa_send_text", self.oa_id, user_id, user_id, None,
                           message={"text": text, "msg_id": msg_id or hex32()})

    def sign(self, body: bytes, timestamp: str | int, variant: str = "app_id") -> str:
        """Hex sha256(first + raw body + timestamp + OA secret key); first = app_id or, variant "oa_id", the OA id."""
        first = {"app_id": self.app_id, "oa_id": self.oa_id}[variant]
        return hashlib.sha256(first.encode() + body + str(timestamp).encode() + self.oa_secret_key.encode()).hexdigest()
