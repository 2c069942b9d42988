"""Chats a person answers from the platform's own inbox (the bot stays silent there), told apart from the bot's
own messages by the ids of what the bot sent."""

from __future__ import annotations

from bot.store.database import Database


class Takeovers:
    """The `takeovers` and `sent_messages` tables."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def note_sent(self, channel: str, message_id: str) -> None:
        """Remember a message id the bot sent (its echo is then not a person writing)."""
        await self.database.execute("INSERT INTO sent_messages (channel, message_id, at) VALUES (?, ?, ?)"
                                    " ON CONFLICT DO NOTHING", (channel, message_id, self.database.clock.now()))

    async def was_sent(self, channel: str, message_id: str) -> bool:
        """True when the bot sent this message."""
        return await self.database.one("SELECT 1 FROM sent_messages WHERE channel = ? AND message_id = ?",
                                       (channel, message_id)) is not None

    async def take_over(self, channel: str, user_id: str, until: float) -> None:
        """A person answers this user themselves until `until` (extended, never shortened)."""
        await self.database.execute(
            "INSERT INTO takeovers (channel, user_id, until) VALUES (?, ?, ?) ON CONFLICT (channel, user_id)"
            " DO UPDATE SET until = CASE WHEN takeovers.until > excluded.until"
            " THEN takeovers.until ELSE excluded.until END", (channel, user_id, until))

    async def taken_over(self, channel: str, user_id: str) -> bool:
        """True while a person is answering this user."""
        return await self.database.one("SELECT 1 FROM takeovers WHERE channel = ? AND user_id = ? AND until > ?",
                                       (channel, user_id, self.database.clock.now())) is not None

    async def active(self, channel: str) -> list[tuple[str, float]]:
        """Users a person is answering now, with when the bot may speak again."""
        rows = await self.database.all("SELECT user_id, until FROM takeovers WHERE channel = ? AND until > ?"
                                       " ORDER BY until", (channel, self.database.clock.now()))
        return [(str(r[0]), float(r[1])) for r in rows]

    async def count_now(self) -> int:
        """How many chats an officer is answering in the platform's own inbox, over every channel."""
        return int(await self.database.value("SELECT count(*) FROM takeovers WHERE until > ?",
                                             (self.database.clock.now(),)) or 0)
