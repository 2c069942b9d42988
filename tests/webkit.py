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


_DARK = bytes(1 if value < 200 else 0 for value in range(256))  # a channel below 200: not near-white


def _add(a: int, b: int, low: int, high: int) -> int:
    """Two rows held as big integers added byte by byte, modulo 256 (no carry crosses a byte)."""
    return ((a & low) + (b & low)) ^ ((a ^ b) & high)


def _unfilter(kind: int, line: bytes, prev: bytes, channels: int) -> bytes:
    """One row of a PNG undone from its filter; None, Sub and Up as whole-row integer sums (a screenshot's
    rows are mostly these), Average and Paeth byte by byte."""
    n = len(line)
    if kind == 0:
        return line
    low, high = int.from_bytes(b"\x7f" * n, "big"), int.from_bytes(b"\x80" * n, "big")
    if kind == 2:
        return _add(int.from_bytes(line, "big"), int.from_bytes(prev, "big"), low, high).to_bytes(n, "big")
    if kind == 1:  # a running sum along the row, per channel: doubled spans (Hillis-Steele)
        x, shift = int.from_bytes(line, "big"), 8 * channels
        while shift < 8 * n:
            x, shift = _add(x, x >> shift, low, high), shift * 2
        return x.to_bytes(n, "big")
    out = bytearray(line)
    if kind == 3:
        for i in range(n):
            out[i] = (out[i] + ((out[i - channels] if i >= channels else 0) + prev[i]) // 2) & 0xFF
        return bytes(out)
    for i in range(channels):  # Paeth with nothing on the left is the byte above
        out[i] = (out[i] + prev[i]) & 0xFF
    for i in range(channels, n):
        a, b, c = out[i - channels], prev[i], prev[i - channels]
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        out[i] = (out[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
    return bytes(out)


def _rows(data: bytes) -> tuple[list[bytes], int]:
    """The rows of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes), and its channels."""
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
    rows, prev = [], bytes(stride)
    for start in range(0, len(raw), stride + 1):
        prev = _unfilter(raw[start], raw[start + 1:start + 1 + stride], prev, channels)
        rows.append(prev)
    return rows, channels


def pixels(data: bytes) -> list[bytes]:
    """Every pixel of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes)."""
    rows, channels = _rows(data)
    return [row[i:i + channels] for row in rows for i in range(0, len(row), channels)]


def colour_stats(data: bytes) -> tuple[int, float]:
    """(distinct colours, share of pixels that are not near-white)."""
    rows, channels = _rows(data)
    colours: set[tuple[int, ...]] = set()
    dark = total = 0
    for row in rows:
        colours.update(zip(*(row[c::channels] for c in range(channels)), strict=True))
        near = row.translate(_DARK)  # per pixel: any of red, green, blue below 200
        dark += (int.from_bytes(near[0::channels], "big") | int.from_bytes(near[1::channels], "big")
                 | int.from_bytes(near[2::channels], "big")).bit_count()
        total += len(row) // channels
    return len(colours), dark / max(1, total)
