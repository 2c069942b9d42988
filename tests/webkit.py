"""Helpers for the web console's tests: accounts, an in-process client, signing in, reading CSRF tokens,
and reading a PNG screenshot's pixels without image libraries (to check it is not blank)."""

from __future__ import annotations

import asyncio
import re
import socket
import struct
import zlib

import httpx

from bot.engine.services import Services
from bot.usecases.accounts import hash_password
from channels.http import serve_http
from channels.web import build_web_app

PASSWORD = "mat-khau-rat-dai-2024"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def add_accounts(services: Services) -> None:
    """An admin (`lan`) and a staff member (`minh`)."""
    await services.storage.accounts.add("lan", "Nguyễn Thị Lan", "admin", hash_password(PASSWORD), "telegram:77")
    await services.storage.accounts.add("minh", "Lò Văn Minh", "staff", hash_password(PASSWORD), None)


def client(services: Services, address: str = "10.0.0.5") -> httpx.AsyncClient:
    """An HTTP client talking to the console in-process, from `address`."""
    app = build_web_app(services, failure_delay=0.0)
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def serve_console(services: Services) -> tuple[asyncio.Event, asyncio.Task[None], str]:
    """The console served on a free local port for a real browser: (stop event, server task, base URL), once it
    accepts connections."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    stop = asyncio.Event()
    server = asyncio.create_task(serve_http(build_web_app(services, 0.0), "127.0.0.1", port, stop))
    while not server.done():
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            break
        except OSError:
            await asyncio.sleep(0.05)
    return stop, server, f"http://127.0.0.1:{port}"


def csrf(html: str) -> str:
    """The CSRF token of the first form on a page."""
    m = _CSRF.search(html)
    assert m, "no CSRF token on the page"
    return m.group(1)


async def login(web: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    """Sign in through the form; returns the POST's response."""
    page = await web.get("/login")
    return await web.post("/login", data={"username": username, "password": password, "csrf": csrf(page.text)})


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def pixels(data: bytes) -> list[bytes]:
    """Every pixel of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    channels = 4
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, _, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), "unsupported PNG"
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride = zlib.decompress(idat), width * channels
    rows, prev = [], bytearray(stride)
    for start in range(0, len(raw), stride + 1):
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            line[i] = (line[i] + (0, a, b, (a + b) // 2, _paeth(a, b, c))[kind]) & 0xFF
        rows.append(bytes(line))
        prev = line
    return [row[i:i + channels] for row in rows for i in range(0, stride, channels)]


def colour_stats(data: bytes) -> tuple[int, float]:
    """(distinct colours, share of pixels that are not near-white)."""
    px = pixels(data)
    dark = sum(1 for p in px if min(p[:3]) < 200)
    return len(set(px)), dark / max(1, len(px))
