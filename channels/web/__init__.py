"""The officers' web console (the `web` channel): inbox, knowledge, dashboard, report."""

import asyncio

from bot.engine.services import Services
from channels.http import serve_http
from channels.web.app import build_web_app

__all__ = ["build_web_app", "serve_console"]


async def serve_console(services: Services, stop: asyncio.Event) -> None:
    """Serve the console on PAPIBOT_WEB_LISTEN:PAPIBOT_WEB_PORT until `stop` is set."""
    config = services.config
    await serve_http(build_web_app(services), config.web_listen, config.web_port, stop,
                     trusted=config.trusted_proxies)
