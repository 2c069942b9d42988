"""What a webhook channel keeps, over the core's own database: its stored events, tokens, takeovers, the
outbox messages it sends again, and the coordination of the processes handling its users."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.database import Coordination, Database
from bot.store.inbound import ChannelTokens, Inbound, InboundEvents, Tokens
from bot.store.outbox import Outbox
from bot.store.takeovers import Takeovers

__all__ = ["ChannelStore", "Inbound", "Tokens"]


@dataclass(frozen=True)
class ChannelStore:
    """The repositories a channel adapter uses."""

    inbound: InboundEvents
    tokens: ChannelTokens
    takeovers: Takeovers
    outbox: Outbox
    coordination: Coordination

    @classmethod
    def over(cls, database: Database, outbox: Outbox) -> ChannelStore:
        """The channel repositories over `database` (the outbox shared with the core)."""
        return cls(InboundEvents(database), ChannelTokens(database), Takeovers(database), outbox,
                   database.coordination)
