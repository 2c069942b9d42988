"""Webhook mode: each update is handled before Telegram is told it arrived.

python-telegram-bot's webhook server answers 200 as soon as an update is queued, so a crash loses
what is queued. Here the answer waits for the handlers; Telegram re-sends anything not acknowledged,
and a re-sent update whose effect is stored is caught by the stored update ids.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from urllib.parse import urlsplit

import tornado.httpserver
import tornado.web
from telegram import Update
from telegram.ext import Application

from bot.config import Config
from bot.polling import CONCURRENT_CHATS, run_app

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class UpdateHandler(tornado.web.RequestHandler):
    """POST /<path>: one update from Telegram, refused without the secret token."""

    def initialize(self, app: Application, secret: str) -> None:
        """Receive the application and the secret from the route."""
        self.app, self.secret = app, secret

    async def post(self) -> None:
        """Check the secret, then handle the update before answering."""
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("webhook request from %s without the right secret refused", self.request.remote_ip)
            self.set_status(403)
            return
        try:
            update = Update.de_json(json.loads(self.request.body), self.app.bot)
        except (ValueError, TypeError, KeyError):
            self.set_status(400)
            return
        await self.app.process_update(update)
        self.set_status(200)


async def run_webhook(app: Application, config: Config) -> None:
    """Serve the webhook until stopped; Telegram is pointed at it with the secret token."""

    async def serve(app: Application, stop: asyncio.Event) -> None:
        path = urlsplit(config.webhook_url).path.rstrip("/") or "/"
        routes = [(path, UpdateHandler, {"app": app, "secret": config.webhook_secret})]
        server = tornado.httpserver.HTTPServer(tornado.web.Application(routes))
        server.listen(config.webhook_port, config.webhook_listen)
        try:
            await app.bot.set_webhook(config.webhook_url, secret_token=config.webhook_secret,
                                      allowed_updates=Update.ALL_TYPES, max_connections=CONCURRENT_CHATS)
            await stop.wait()
        finally:
            server.stop()
            await server.close_all_connections()

    await run_app(app, serve)
