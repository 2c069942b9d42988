"""Helpers for the web console's tests: accounts, an in-process client, signing in, reading CSRF tokens."""

from __future__ import annotations

import re

import httpx

from bot.services import Services
from channels.web import build_web_app
from channels.web.auth import hash_password

PASSWORD = "mat-khau-rat-dai-2024"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def add_accounts(services: Services) -> None:
    """An admin (`lan`) and a staff member (`minh`)."""
    await services.storage.add_web_user("lan", "Nguyễn Thị Lan", "admin", hash_password(PASSWORD), "telegram:77")
    await services.storage.add_web_user("minh", "Lò Văn Minh", "staff", hash_password(PASSWORD), None)


def client(services: Services, address: str = "10.0.0.5") -> httpx.AsyncClient:
    """An HTTP client talking to the console in-process, from `address`."""
    app = build_web_app(services, failure_delay=0.0)
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def csrf(html: str) -> str:
    """The CSRF token of the first form on a page."""
    m = _CSRF.search(html)
    assert m, "no CSRF token on the page"
    return m.group(1)


async def login(web: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    """Sign in through the form; returns the POST's response."""
    page = await web.get("/login")
    return await web.post("/login", data={"username": username, "password": password, "csrf": csrf(page.text)})
