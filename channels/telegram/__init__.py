"""The Telegram channel: Bot API events in, Telegram HTML out; long polling or a webhook on the HTTP server."""

from channels.telegram.channel import TelegramChannel

__all__ = ["TelegramChannel"]
