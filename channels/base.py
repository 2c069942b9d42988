"""What the composition root needs from every channel adapter."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from starlette.routing import BaseRoute

from bot.engine.delivery import Sender


class Channel(Protocol):
    """A running channel: its sender, its HTTP routes (if any), its life cycle and its state for /healthz."""

    @property
    def name(self) -> str:
        """The channel's name (telegram, zalo_oa...)."""

    @property
    def sender(self) -> Sender:
        """How the delivery worker reaches this channel's chats."""

    def routes(self) -> list[BaseRoute]:
        """Routes to mount on the one HTTP server (webhooks), under the channel's own prefix."""

    async def start(self) -> None:
        """Connect to the platform (check the token, set the webhook or menus)."""

    async def serve(self, stop: asyncio.Event) -> None:
        """Receive events until `stop` is set (long polling), or just wait (webhooks)."""

    async def close(self) -> None:
        """Release the platform client."""

    def state(self) -> dict[str, Any]:
        """What /healthz shows for this channel."""
