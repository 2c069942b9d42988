"""The login lockout behind the documented reverse proxy, over real sockets: `papibot web` behind Debian's
nginx (the `location /` block of docs/deploy.md) or, without nginx, an asyncio proxy doing the same.

Test clients bind to 127.0.0.2 and 127.0.0.3, so the proxy sees two office machines."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

import channels.web as web_module
from app.commands.web import serve_web
from bot.kernel.config import Config, ConfigError, load_config
from tests.revproxy import NGINX, asyncio_proxy, free_port, nginx
from tests.webkit import add_accounts, login

WRONG = "sai-mat-khau"


@contextlib.asynccontextmanager
async def console(config: Config, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    """`papibot web` on config.web_port (failed logins not slowed, so the test does not wait on them)."""
    monkeypatch.setattr(web_module, "build_web_app", functools.partial(web_module.build_web_app, failure_delay=0.0))
    stop = asyncio.Event()
    task = asyncio.create_task(serve_web(config, stop))
    try:
        for _ in range(200):
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", config.web_port)
                writer.close()
                break
            await asyncio.sleep(0.05)
        yield
    finally:
        stop.set()
        await task


def machine(address: str, base: str) -> httpx.AsyncClient:
    """A browser on the office machine at `address`."""
    return httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(local_address=address), base_url=base)


async def guess_with_forged_addresses(web: httpx.AsyncClient, guesses: int) -> None:
    """Wrong passwords, each claiming through X-Forwarded-For to come from somewhere new."""
    for n in range(guesses):
        web.headers["X-Forwarded-For"] = f"198.51.100.{n + 1}"
        assert (await login(web, "lan", WRONG)).status_code == 401


@pytest.mark.parametrize("kind", ["nginx", "asyncio"])
async def test_behind_the_documented_proxy_the_lockout_is_per_machine_and_headers_buy_no_guesses(
        kind: str, config: Config, services, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if kind == "nginx" and not NGINX.exists():
        message = "nginx is not installed (apt-get install -y nginx); the asyncio proxy variant stands in"
        if os.environ.get("CI"):
            pytest.fail(message)  # .ci/run installs it
        pytest.skip(message)
    await add_accounts(services)
    config = dataclasses.replace(config, web_port=free_port(), trusted_proxies=("127.0.0.1",))
    proxy = nginx(tmp_path / "nginx", config.web_port) if kind == "nginx" else asyncio_proxy(config.web_port)
    async with console(config, monkeypatch), proxy as port:
        base = f"http://127.0.0.1:{port}"
        async with machine("127.0.0.2", base) as first, machine("127.0.0.3", base) as second:
            await guess_with_forged_addresses(first, 5)
            first.headers["X-Forwarded-For"] = "198.51.100.99"
            locked = await login(first, "lan")  # the right password, from a "new" address: still locked
            assert locked.status_code == 401 and "tạm khóa" in locked.text
            assert (await login(second, "lan")).status_code == 303  # the officer at another machine signs in


async def test_without_trusted_proxies_a_clients_own_header_is_ignored(config: Config, services,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    await add_accounts(services)
    config = dataclasses.replace(config, web_port=free_port())
    async with console(config, monkeypatch), machine("127.0.0.1", f"http://127.0.0.1:{config.web_port}") as web:
        await guess_with_forged_addresses(web, 5)
        locked = await login(web, "lan")
        assert locked.status_code == 401 and "tạm khóa" in locked.text


def test_trusted_proxies_are_addresses_or_networks() -> None:
    config = load_config({"PAPIBOT_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8,::1"})
    assert config.trusted_proxies == ("127.0.0.1", "10.0.0.0/8", "::1")
    assert load_config({}).trusted_proxies == ()  # nobody by default
    for value in ("*", "proxy.sonla.gov.vn", "10.0.0.300"):
        with pytest.raises(ConfigError):
            load_config({"PAPIBOT_TRUSTED_PROXIES": value})
