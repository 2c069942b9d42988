"""The one HTTP server for everything inbound: each channel's webhook routes under its own prefix, /healthz."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024  # bytes: no platform sends an event anywhere near this


class BodyTooLarge(Exception):
    """The request body is over MAX_BODY."""


class Malformed(ValueError):
    """An authenticated body in a shape the platform never sends (a field that must be an object is not)."""


def object_id(data: dict[str, Any], field: str) -> str | None:
    """The id of the object in `data[field]` (None when absent); Malformed when that is no object or id."""
    value = data.get(field)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Malformed(f"{field} is not an object")
    found = value.get("id")
    if found is None or found == "":
        return None
    if isinstance(found, bool) or not isinstance(found, (str, int)):
        raise Malformed(f"{field}.id is not a string or a number")
    return str(found)


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The body, read in chunks and abandoned past `limit` (a declared length over it fails at once)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


Health = Callable[[], Awaitable[tuple[bool, dict[str, Any]]]]


def health_route(health: Health) -> Route:
    """GET /healthz: the detail as JSON, 200 while everything is usable, else 503."""
    async def healthz(request: Request) -> Response:
        ok, detail = await health()
        return JSONResponse(detail, status_code=200 if ok else 503)

    return Route("/healthz", healthz, methods=["GET"])


def build_app(routes: list[BaseRoute], health: Health) -> Starlette:
    """The ASGI app: every channel's routes plus GET /healthz (200 while the database takes reads and writes)."""
    return Starlette(routes=[*routes, health_route(health)])


async def serve_http(app: ASGIApp, host: str, port: int, stop: asyncio.Event,
                     started: Callable[[], None] = lambda: None, trusted: tuple[str, ...] = ()) -> None:
    """Serve until `stop` is set; requests in flight are finished within a few seconds.

    X-Forwarded-For and -Proto are read only from the `trusted` proxies (PAPIBOT_TRUSTED_PROXIES): uvicorn
    would otherwise believe them from 127.0.0.1, where a proxy passing a client's own header on lets that
    client pick the address the login lockout counts.
    """
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off",
                                           timeout_graceful_shutdown=3, proxy_headers=bool(trusted),
                                           forwarded_allow_ips=list(trusted)))
    task = asyncio.create_task(server._serve())  # serve() would install its own signal handlers; the root owns them
    while not server.started and not task.done():
        await asyncio.sleep(0.02)
    if task.done():
        await task  # start-up failed (port in use...): raise it
        raise OSError(f"HTTP server on {host}:{port} did not start")
    log.info("HTTP server on http://%s:%s", host, port)
    started()
    await stop.wait()
    server.should_exit = True
    with contextlib.suppress(asyncio.CancelledError):
        await task
